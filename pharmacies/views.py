from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import PHARMACIST, role_required
from gomask.errors import DomainError
from gomask.middleware import refuse_on_form
from pharmacies import forms, selectors, services
from pharmacies.wording import masks

NEARBY_RADIUS_KM = 50
NEARBY_LIMIT = 20


@role_required(*PHARMACIST)
def home(request):
    """Pharmacists: the officines they act for, and staff awaiting their approval."""
    pharmacies = selectors.pharmacies_of(request.user)
    return render(
        request,
        "pharmacies/home.html",
        {
            "pharmacies": pharmacies,
            "pending_staff": selectors.pending_memberships_for_owner(request.user),
        },
    )


@require_POST
@role_required(*PHARMACIST)
def approve_staff(request, membership_id: int):
    """Titulaires: let a pharmacist act for their officine."""
    try:
        membership = services.approve_membership(approver=request.user, membership_id=membership_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(user)s peut désormais agir pour %(pharmacy)s.")
            % {"user": membership.user, "pharmacy": membership.pharmacy.name},
        )
    return redirect("pharmacies:home")


# --- Stock pages: every URL carries the pharmacy id; someone else's id -> 403 -------------------


def _my_pharmacy(request, pharmacy_id):
    return selectors.pharmacy_for_member(request.user, pharmacy_id)


def _context(request, pharmacy, section: str, **extra) -> dict:
    return {
        "pharmacy": pharmacy,
        "my_pharmacies": selectors.pharmacies_of(request.user),
        "section": section,
        "section_url": f"pharmacies:{section}",
        **extra,
    }


def _stock_page(request, pharmacy, *, status=200, **bound):
    """The stock overview, with freshly tokened forms except the one being re-shown."""
    forms_in_page = {
        "arrival_form": forms.ArrivalForm(prefix="arrival"),
        "count_form": forms.InventoryCountForm(prefix="count"),
        "loss_form": forms.LossForm(prefix="loss"),
        "transfer_form": forms.TransferForm(prefix="transfer"),
    }
    forms_in_page.update(bound)
    context = _context(request, pharmacy, "stock", levels=selectors.stock_overview(pharmacy), **forms_in_page)
    return render(request, "pharmacies/stock.html", context, status=status)


@require_GET
@role_required(*PHARMACIST)
def stock(request, pharmacy_id: int):
    """Pharmacists of this officine: current stock per product and the declaration forms."""
    return _stock_page(request, _my_pharmacy(request, pharmacy_id))


def _declare(request, pharmacy_id, form_class, prefix, form_name, action, success):
    """POST of one stock form: validate its shape, call one service, redirect or re-show."""
    pharmacy = _my_pharmacy(request, pharmacy_id)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        return _stock_page(request, pharmacy, status=400, **{form_name: form})
    try:
        # A repeat of the same form (its idempotency key) gets the first result back.
        result = action(pharmacy, form.cleaned_data).value
    except services.PossibleDuplicate as exc:
        # The same form again, now with the confirmation box, and why it is asked.
        form = form_class(request.POST, prefix=prefix, ask_confirmation=True)
        form.is_valid()
        status = refuse_on_form(form, exc)
        return _stock_page(request, pharmacy, status=status, **{form_name: form})
    except DomainError as exc:
        status = refuse_on_form(form, exc)
        return _stock_page(request, pharmacy, status=status, **{form_name: form})
    messages.success(request, success(result))
    return redirect("pharmacies:stock", pharmacy_id=pharmacy.pk)


@require_POST
@role_required(*PHARMACIST)
def declare_arrival(request, pharmacy_id: int):
    """Pharmacists of this officine: record masks received (in masks or boxes)."""

    def action(pharmacy, data):
        return services.declare_arrival.once(
            idempotency_key=data["idempotency_key"],
            actor=request.user,
            pharmacy_id=pharmacy.pk,
            product_code=data["product"],
            quantity=data["quantity"],
            unit=data["unit"],
            source=data["source"],
            note=data["note"],
            confirm_duplicate=data["confirm_duplicate"],
        )

    def success(movement):
        arrived = masks(movement.on_hand_delta, movement.product)
        if request.POST.get("arrival-unit") == services.Unit.BOX:
            boxes = movement.on_hand_delta // movement.product.box_size
            arrived = ngettext(
                "%(masks)s (%(boxes)d boîte de %(size)d)",
                "%(masks)s (%(boxes)d boîtes de %(size)d)",
                boxes,
            ) % {"masks": arrived, "boxes": boxes, "size": movement.product.box_size}
        return _("Arrivée enregistrée : %(arrived)s. Stock : %(after)s.") % {
            "arrived": arrived,
            "after": masks(movement.on_hand_after),
        }

    return _declare(request, pharmacy_id, forms.ArrivalForm, "arrival", "arrival_form", action, success)


@require_POST
@role_required(*PHARMACIST)
def declare_count(request, pharmacy_id: int):
    """Pharmacists of this officine: record an inventory count (the difference goes to the ledger)."""

    def action(pharmacy, data):
        return services.declare_inventory_count.once(
            idempotency_key=data["idempotency_key"],
            actor=request.user,
            pharmacy_id=pharmacy.pk,
            product_code=data["product"],
            counted=data["counted"],
        )

    return _declare(
        request,
        pharmacy_id,
        forms.InventoryCountForm,
        "count",
        "count_form",
        action,
        lambda movement: (
            _("Inventaire enregistré : %(after)s (écart %(delta)+d).")
            % {"after": masks(movement.on_hand_after, movement.product), "delta": movement.on_hand_delta}
        ),
    )


@require_POST
@role_required(*PHARMACIST)
def declare_loss(request, pharmacy_id: int):
    """Pharmacists of this officine: record lost or damaged masks, with the reason."""

    def action(pharmacy, data):
        return services.declare_loss.once(
            idempotency_key=data["idempotency_key"],
            actor=request.user,
            pharmacy_id=pharmacy.pk,
            product_code=data["product"],
            quantity=data["quantity"],
            reason=data["reason"],
        )

    return _declare(
        request,
        pharmacy_id,
        forms.LossForm,
        "loss",
        "loss_form",
        action,
        lambda movement: (
            _("Perte enregistrée : %(lost)s. Stock : %(after)s.")
            % {
                "lost": masks(-movement.on_hand_delta, movement.product),
                "after": masks(movement.on_hand_after),
            }
        ),
    )


@require_POST
@role_required(*PHARMACIST)
def transfer(request, pharmacy_id: int):
    """Pharmacists of this officine: send masks to another officine (by its FINESS number)."""

    def action(pharmacy, data):
        destination = services.registered_pharmacy(data["destination_finess"])
        return services.transfer_stock.once(
            idempotency_key=data["idempotency_key"],
            actor=request.user,
            from_pharmacy_id=pharmacy.pk,
            to_pharmacy_id=destination.pk,
            product_code=data["product"],
            quantity=data["quantity"],
        )

    def success(movements):
        outgoing, _incoming = movements
        return _("Transfert enregistré : %(sent)s vers %(to)s.") % {
            "sent": masks(-outgoing.on_hand_delta, outgoing.product),
            "to": outgoing.counterpart.name,
        }

    return _declare(request, pharmacy_id, forms.TransferForm, "transfer", "transfer_form", action, success)


@require_POST
@role_required(*PHARMACIST)
def mark_sold_out(request, pharmacy_id: int, product_code: str):
    """Pharmacists of this officine: one click to show "épuisé" in the professionals' search."""
    pharmacy = _my_pharmacy(request, pharmacy_id)
    try:
        level = services.mark_sold_out(actor=request.user, pharmacy_id=pharmacy.pk, product_code=product_code)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(product)s : l'officine apparaît désormais « épuisé » dans les recherches.")
            % {"product": level.product.name},
        )
    return redirect("pharmacies:stock", pharmacy_id=pharmacy.pk)


@require_GET
@role_required(*PHARMACIST)
def ledger(request, pharmacy_id: int):
    """Pharmacists of this officine: every stock movement, newest first, filtered by product."""
    pharmacy = _my_pharmacy(request, pharmacy_id)
    filter_form = forms.LedgerFilterForm(request.GET or None)
    product_code = filter_form.cleaned_data["product"] if filter_form.is_valid() else None
    page = selectors.ledger_page(pharmacy, product_code=product_code or None, page=request.GET.get("page"))
    context = _context(
        request,
        pharmacy,
        "ledger",
        filter_form=filter_form,
        page=page,
        correctable_kinds=services.CORRECTABLE_KINDS,
    )
    return render(request, "pharmacies/ledger.html", context)


@role_required(*PHARMACIST)
def correct_movement(request, pharmacy_id: int, movement_id: int):
    """Pharmacists of this officine: undo a mistaken arrival, count or loss (compensating movement)."""
    pharmacy = _my_pharmacy(request, pharmacy_id)
    movement = selectors.pharmacy_movement(pharmacy, movement_id)
    form = forms.CorrectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.correct_movement(
                    actor=request.user, movement_id=movement.pk, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                status = refuse_on_form(form, exc)
            else:
                messages.success(request, _("Correction enregistrée : le mouvement a été compensé."))
                return redirect("pharmacies:ledger", pharmacy_id=pharmacy.pk)
    context = _context(request, pharmacy, "ledger", movement=movement, form=form)
    return render(request, "pharmacies/correct_movement.html", context, status=status)


@require_GET
@role_required(*PHARMACIST)
def professionals(request, pharmacy_id: int):
    """Pharmacists of this officine: the professionals referenced here, with their phone numbers."""
    pharmacy = _my_pharmacy(request, pharmacy_id)
    page = selectors.referenced_page(pharmacy, page=request.GET.get("page"))
    return render(
        request, "pharmacies/professionals.html", _context(request, pharmacy, "professionals", page=page)
    )


@require_GET
@role_required(*PHARMACIST)
def nearby_stock(request, pharmacy_id: int):
    """Pharmacists of this officine: when stock is short, the nearest officines that have some."""
    pharmacy = _my_pharmacy(request, pharmacy_id)
    form = forms.NearbyStockForm(request.GET or None)
    product_code = (form.cleaned_data["product"] if form.is_valid() else "") or "surgical"
    rows = selectors.nearest_pharmacies_with_stock(
        latitude=pharmacy.latitude,
        longitude=pharmacy.longitude,
        product_code=product_code,
        radius_km=NEARBY_RADIUS_KM,
        limit=NEARBY_LIMIT,
        exclude_pharmacy_id=pharmacy.pk,
        include_sold_out=False,
    )
    context = _context(
        request,
        pharmacy,
        "nearby_stock",
        form=form,
        rows=rows,
        radius_km=NEARBY_RADIUS_KM,
        product_code=product_code,
    )
    return render(request, "pharmacies/nearby_stock.html", context)
