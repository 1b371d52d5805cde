"""The admin's import pages: each import with its report (rows taken, each refused row and
why, notes, settings) and its items (title, creator, year, label, kind, the file for staff);
"Add import" uploads a zip with a metadata file and its media. Imports come only from the
importers (the zip form here, or `manage.py import_data`): nothing is edited by hand. An
import can be deleted, and its files go with it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from studies.import_models import ImportBatch, ImportedItem
from studies.importing.report import import_report
from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused
from studies.importing.uploads import import_batch_from_zip


class ImportZipForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What you call this data set")
    format = forms.ChoiceField(choices=ImportBatch.Format.choices)
    archive = forms.FileField(
        label="Zip", help_text="The metadata file and the media it names, in one zip"
    )
    metadata_name = forms.CharField(
        required=False,
        label="Metadata file in the zip",
        help_text="e.g. maestro-v3.0.0.csv; may stay empty when the zip holds one .csv or .txt",
    )
    clip_seconds = forms.FloatField(initial=30.0, min_value=1.0, max_value=600.0)
    max_clips_per_file = forms.IntegerField(
        required=False, min_value=1, help_text="Empty: every whole clip of each recording"
    )
    image_max_side = forms.IntegerField(initial=512, min_value=16, max_value=4096)
    label_column = forms.ChoiceField(
        choices=[("style", "style"), ("genre", "genre")], help_text="WikiArt only"
    )
    maestro_media = forms.ChoiceField(
        choices=[("both", "MIDI and audio"), ("midi", "MIDI only"), ("audio", "audio only")],
        help_text="MAESTRO only",
    )

    def import_settings(self) -> ImportSettings:
        data = self.cleaned_data
        return ImportSettings(
            clip_seconds=data["clip_seconds"],
            max_clips_per_file=data["max_clips_per_file"],
            image_max_side=data["image_max_side"],
            label_column=data["label_column"],
            maestro_media=data["maestro_media"],
        )


def delete_import_files(batches) -> None:
    """Remove the stored files of these imports once their rows are gone for good."""
    names = list(ImportedItem.objects.filter(batch__in=batches).values_list("file", flat=True))
    storage = ImportedItem._meta.get_field("file").storage

    def remove():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)


class ImportedItemInline(admin.TabularInline):
    model = ImportedItem
    fields = ("source_line", "kind", "title", "creator", "year", "label", "clip_start_s", "link")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Items (the first 100; all in the item list)"

    def get_queryset(self, request):
        first = super().get_queryset(request).order_by("source_line", "clip_start_s", "id")
        ids = list(first.values_list("id", flat=True)[:100])
        return super().get_queryset(request).filter(id__in=ids)

    @admin.display(description="File")
    def link(self, item):
        return item_file_link(item)


def item_file_link(item: ImportedItem) -> str:
    url = reverse("admin:studies_importeditem_file", args=[item.pk])
    return format_html('<a href="{}">{}{}</a>', url, item.sha256[:12], item.extension)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("name", "format", "rows_taken", "rows_refused", "items_link", "created_at")
    list_filter = ("format",)
    search_fields = ("name", "source_name")
    fields = ("name", "format", "source_name", "created_by", "created_at", "report")
    readonly_fields = fields
    inlines = [ImportedItemInline]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Report")
    def report(self, batch):
        return format_html('<pre class="import-report">{}</pre>', import_report(batch))

    @admin.display(description="Items")
    def items_link(self, batch):
        url = reverse("admin:studies_importeditem_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{} items</a>', url, batch.items.count())

    def get_deleted_objects(self, objs, request):
        """Items go with their import (they cannot be deleted one by one)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(str(ImportedItem._meta.verbose_name))
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        delete_import_files([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        delete_import_files(queryset)
        super().delete_queryset(request, queryset)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportZipForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["archive"]
            try:
                batch = import_batch_from_zip(
                    name=form.cleaned_data["name"],
                    format=form.cleaned_data["format"],
                    upload=upload,
                    upload_name=upload.name,
                    metadata_name=form.cleaned_data["metadata_name"].strip(),
                    import_settings=form.import_settings(),
                    created_by=request.user,
                )
            except ImportRefused as error:
                form.add_error(None, f"Nothing was imported: {error}")
            else:
                self.message_user(
                    request,
                    f"Imported {batch.rows_taken} rows; {batch.rows_refused} refused.",
                    messages.SUCCESS if not batch.rows_refused else messages.WARNING,
                )
                return redirect("admin:studies_importbatch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a data set",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/studies/import_zip.html", context, status=200)


@admin.register(ImportedItem)
class ImportedItemAdmin(admin.ModelAdmin):
    list_display = ("title_or_file", "creator", "year", "label", "kind", "batch", "link")
    list_filter = ("kind", "batch", "label")
    search_fields = ("title", "creator", "source_file", "sha256")
    list_select_related = ("batch",)
    readonly_fields = [field.name for field in ImportedItem._meta.fields if field.name != "file"]
    readonly_fields += ["link"]
    exclude = ("file",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Title or file", ordering="title")
    def title_or_file(self, item):
        return item.title or item.source_file

    @admin.display(description="File")
    def link(self, item):
        return item_file_link(item)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/file/",
                self.admin_site.admin_view(self.file_view),
                name="studies_importeditem_file",
            )
        ]
        return extra + super().get_urls()

    def file_view(self, request, pk: int):
        """The stored file, for staff who may view imports."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = get_object_or_404(ImportedItem, pk=pk)
        try:
            handle = item.file.open("rb")
        except FileNotFoundError as error:
            raise Http404("The file of this item is missing from storage.") from error
        name = f"{item.sha256[:12]}{item.extension}"
        return FileResponse(handle, filename=name, as_attachment=item.kind == "midi")
