from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from studies import admin_views, answer_views, tool_views, views

# Participant addresses carry tokens, slugs and media links made of URL-safe base64 letters
# (the `slug` converter's alphabet); anything else is not found before any query runs.
urlpatterns = [
    path("s/<slug:slug>/", views.study_entry, name="study-entry"),
    path("p/<slug:token>/", views.participant_page, name="participant-page"),
    path("p/<slug:token>/answer", answer_views.participant_answer, name="participant-answer"),
    path("p/<slug:token>/m/<slug:signed>", views.participant_media, name="participant-media"),
    path("p/<slug:token>/c/<int:number>.png", views.colour_plate, name="colour-plate"),
    path(
        "p/<slug:token>/h/<slug:test>/<int:number>/<int:interval>.wav",
        views.headphone_audio,
        name="headphone-audio",
    ),
    path(
        "p/<slug:token>/h/calibration.wav",
        views.headphone_calibration,
        name="headphone-calibration",
    ),
    path("p/<slug:token>/tool/", tool_views.participant_tool, name="participant-tool"),
    path(
        "p/<slug:token>/tool/render",
        tool_views.participant_tool_render,
        name="participant-tool-render",
    ),
    path(
        "p/<slug:token>/tool/<slug:key>/<str:name>",
        tool_views.participant_tool_file,
        name="participant-tool-file",
    ),
    path(
        "researcher/vis2mus-tool/",
        staff_member_required(tool_views.researcher_tool),
        name="vis2mus-tool",
    ),
    path(
        "researcher/vis2mus-tool/render",
        staff_member_required(tool_views.researcher_tool_render),
        name="vis2mus-tool-render",
    ),
    path(
        "researcher/vis2mus-tool/<slug:key>/<str:name>",
        staff_member_required(tool_views.researcher_tool_file),
        name="vis2mus-tool-file",
    ),
    path(
        "researcher/studies/<int:pk>/responses.<str:extension>",
        staff_member_required(admin_views.responses_export),
        name="study-responses-export",
    ),
    path(
        "researcher/studies/<int:pk>/groupings.csv",
        staff_member_required(admin_views.groupings_export),
        name="study-groupings-export",
    ),
    path(
        "researcher/studies/<int:pk>/report.<str:fmt>",
        staff_member_required(admin_views.study_report),
        name="study-report",
    ),
    path(
        "researcher/power-planner/",
        staff_member_required(admin_views.power_planner),
        name="power-planner",
    ),
    path(
        "researcher/stimuli/<int:pk>/piano-roll.png",
        staff_member_required(admin_views.stimulus_piano_roll),
        name="stimulus-piano-roll",
    ),
    path(
        "researcher/stimuli/<int:pk>/file",
        staff_member_required(admin_views.stimulus_file),
        name="stimulus-file",
    ),
]
