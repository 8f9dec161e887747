from django.contrib import admin

from professionals.models import Professional, Referencing


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "profession",
        "specialty_code",
        "rpps",
        "adeli",
        "practice_commune",
        "left_directory_at",
    ]
    # Empty "absent de l'annuaire depuis": not suspended.
    list_filter = ["profession", ("left_directory_at", admin.EmptyFieldListFilter)]
    search_fields = ["rpps", "adeli", "last_name", "first_name", "search_name", "specialty_code"]
    raw_id_fields = ["user", "practice_commune"]
    readonly_fields = ["directory_seen_at"]


@admin.register(Referencing)
class ReferencingAdmin(admin.ModelAdmin):
    list_display = ["professional", "pharmacy", "started_at", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["professional__rpps", "professional__last_name", "pharmacy__finess"]
    raw_id_fields = ["professional", "pharmacy", "created_by"]
