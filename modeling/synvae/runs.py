"""The SynVAE family's model runs (see modeling/runs.py): a MusicVAE, a SynVAE on top of a
trained MusicVAE, and a beta grid of SynVAEs. Training code is imported only inside `train`."""

from __future__ import annotations

from modeling.runs import RunKind, RunRequest

DATASETS = ("digits", "mnist")
BETA_RANGE = (0.1, 2.0)


def check_synvae(params: dict) -> list[str]:
    problems = check_dataset(params)
    low, high = BETA_RANGE
    beta = params.setdefault("beta", 0.5)
    if not isinstance(beta, int | float) or not low <= float(beta) <= high:
        problems.append(f"beta must lie in [{low}, {high}].")
    if not isinstance(params.setdefault("sample_latents", True), bool):
        problems.append(
            "sample_latents must be true (the paper's stochastic path) or false (deterministic)."
        )
    return problems


def check_dataset(params: dict) -> list[str]:
    if params.setdefault("dataset", "digits") not in DATASETS:
        return [f"The dataset must be one of {', '.join(DATASETS)}."]
    return []


def train_musicvae(request: RunRequest) -> dict:
    from modeling.synvae import train

    result = train.train_musicvae(
        out=request.folder / "musicvae.pt",
        max_works=request.params.get("max_works"),
        **common_options(request),
    )
    return {"metrics": result["metrics"], "checkpoint": result["checkpoint"]}


def train_synvae(request: RunRequest) -> dict:
    from modeling.synvae import train

    out = request.folder / "synvae.pt"
    result = train.train_synvae(
        out=out,
        beta=float(request.params["beta"]),
        sample_latents=request.params.get("sample_latents", True),
        mnist_limit=request.params.get("mnist_limit"),
        **synvae_options(request),
    )
    return {"metrics": result["metrics"], "checkpoint": str(out)}


def train_beta_grid(request: RunRequest) -> dict:
    from modeling.synvae import train

    rows = train.beta_grid(
        out_dir=request.folder,
        betas=request.params.get("betas", (0.1, 0.5, 1.0, 2.0)),
        **synvae_options(request),
    )
    return {"metrics": {"comparison": rows}, "checkpoint": ""}


def common_options(request: RunRequest) -> dict:
    params = request.params
    return {"preset": params["preset"], "seed": params["seed"], "on_progress": request.on_progress}


def synvae_options(request: RunRequest) -> dict:
    return {
        "musicvae_ckpt": request.parent_checkpoint,
        "dataset": request.params["dataset"],
        **common_options(request),
    }


def matching_study_params(params: dict, run_id: int) -> dict:
    return {"model_run": run_id, "dataset": params.get("dataset", "digits")}


RUN_KINDS = (
    RunKind(
        name="musicvae",
        label="MusicVAE (2-bar melodies)",
        presets=("tiny", "cpu_demo", "small", "big"),
        train=train_musicvae,
    ),
    RunKind(
        name="synvae",
        label="SynVAE (image -> music -> image)",
        presets=("tiny", "cpu_demo", "paper"),
        train=train_synvae,
        check=check_synvae,
        parent_kind="musicvae",
        study_kind="synvae_matching",
        study_params=matching_study_params,
    ),
    RunKind(
        name="beta_grid",
        label="SynVAE beta grid",
        presets=("tiny", "cpu_demo", "paper"),
        train=train_beta_grid,
        check=check_dataset,
        parent_kind="musicvae",
    ),
)
