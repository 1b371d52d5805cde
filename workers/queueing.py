"""Sending work to the workers. Services call these; they never import the tasks themselves.

Tasks are sent by name; CELERY_TASK_ROUTES puts them on the `gpu` or the `cpu` queue. With
CELERY_TASK_ALWAYS_EAGER (benchmarks, one-process setups) the task runs here at once.
"""

from importlib import import_module

from workers.celery import app

STUDY_BUILD = "workers.tasks.study_build_task"
STIMULI_PREPARE = "workers.tasks.stimuli_prepare_task"
MODEL_TRAIN = "workers.tasks.model_train_task"


def task_send(name: str, *args) -> None:
    if app.conf.task_always_eager:
        import_module("workers.tasks")  # the task runs in this process, which may not have it yet
        app.tasks[name].apply(args=args, throw=True)
    else:
        app.send_task(name, args=args)


def study_build_send(job_id: int) -> None:
    task_send(STUDY_BUILD, job_id)


def stimuli_prepare_send(job_id: int) -> None:
    task_send(STIMULI_PREPARE, job_id)


def model_train_send(run_id: int) -> None:
    task_send(MODEL_TRAIN, run_id)
