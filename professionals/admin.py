from django.contrib import admin

from professionals.models import Professional, Referencing


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "profession", "rpps", "adeli", "practice_commune"]
    list_filter = ["profession"]
    search_fields = ["rpps", "adeli", "last_name", "first_name", "search_name"]
    raw_id_fields = ["user", "practice_commune"]


@admin.register(Referencing)
class ReferencingAdmin(admin.ModelAdmin):
    list_display = ["professional", "pharmacy", "started_at", "ended_at"]
    list_filter = ["ended_at"]
    search_fields = ["professional__rpps", "professional__last_name", "pharmacy__finess"]
    raw_id_fields = ["professional", "pharmacy", "created_by"]
