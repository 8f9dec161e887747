"""factory_boy factories; territories come from the real data loaded once per session."""

import itertools

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import AccountStatus, Role, User
from gomask.identifiers import make_finess, make_rpps
from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership
from professionals.models import Profession, Professional
from territories.models import Commune

PASSWORD = "Masques-Occitanie-2020"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

_serials = itertools.count(1000)


def commune(code: str) -> Commune:
    return Commune.objects.select_related("departement", "region").get(insee_code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    role = Role.PATIENT
    status = AccountStatus.ACTIVE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def enrol_totp(user: User) -> None:
    TOTP.activate(user, TOTP_SECRET)


def record_second_factor(client, user: User) -> None:
    """Mark the client's session as having passed TOTP, as allauth's TOTP step does."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


class PharmacyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pharmacy

    class Params:
        insee_code = "32344"

    commune = factory.LazyAttribute(lambda o: commune(o.insee_code))
    finess = factory.LazyAttribute(lambda o: make_finess(o.commune.departement_id, next(_serials)))
    name = factory.Sequence(lambda n: f"Pharmacie du Centre {n}")
    address = "1 place de la Mairie"
    departement_id = factory.LazyAttribute(lambda o: o.commune.departement_id)
    region_id = factory.LazyAttribute(lambda o: o.commune.region_id)
    latitude = factory.LazyAttribute(lambda o: o.commune.latitude)
    longitude = factory.LazyAttribute(lambda o: o.commune.longitude)
    phone = "05 62 69 00 00"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PharmacyMembership

    user = factory.SubFactory(UserFactory, role=Role.PHARMACIST)
    pharmacy = factory.SubFactory(PharmacyFactory)
    is_owner = True
    status = MembershipStatus.ACTIVE


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    class Params:
        insee_code = "32344"

    rpps = factory.LazyFunction(lambda: make_rpps(next(_serials)))
    profession = Profession.INFIRMIER
    first_name = "Claire"
    last_name = factory.Sequence(lambda n: f"Dupont{n}")
    phone = "06 12 34 56 78"
    practice_commune = factory.LazyAttribute(lambda o: commune(o.insee_code))
    latitude = factory.LazyAttribute(lambda o: o.practice_commune.latitude)
    longitude = factory.LazyAttribute(lambda o: o.practice_commune.longitude)


def pharmacist_of(pharmacy: Pharmacy, **user_fields) -> User:
    user = UserFactory(role=Role.PHARMACIST, **user_fields)
    MembershipFactory(user=user, pharmacy=pharmacy)
    return user


def professional_user(profession=Profession.INFIRMIER, insee_code="32344", **user_fields) -> User:
    user = UserFactory(role=Role.PROFESSIONAL, **user_fields)
    ProfessionalFactory(
        user=user,
        profession=profession,
        insee_code=insee_code,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
    )
    return user


def coordinator_of(insee_code: str, *, email: str, name: str, region_id: str = "76") -> User:
    """A CPTS coordinator whose territory is the EPCI of `insee_code` (none if it is unknown)."""
    from notifications.models import CoordinatorScope

    user = UserFactory(role=Role.CPTS_COORDINATOR, region_id=region_id, email=email)
    scope = CoordinatorScope.objects.create(user=user, name=name)
    found = Commune.objects.filter(pk=insee_code).first()
    if found is not None:
        scope.epcis.add(found.epci)
    return user
