from django.contrib import admin

from professionals.models import Professional


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "profession", "rpps", "adeli", "practice_commune"]
    list_filter = ["profession"]
    search_fields = ["rpps", "adeli", "last_name", "first_name", "search_name"]
    raw_id_fields = ["user", "practice_commune"]
