"""Synthetic households and residents: names, ages that fit the relations, valid unique ID numbers, phones, tags.

Pure Python and deterministic: one `PeopleFactory` per build hands out ID numbers and phone numbers
in a fixed order, and each village draws from its own seeded random.Random.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from shanzhi.demo import names as N
from shanzhi.demo.plan import MicroGridPlan, VillagePlan
from shanzhi.demo.shapes import point_in
from shanzhi.lib import crypto
from shanzhi.lib.codes import make_id_number, mask_id_number, mask_phone

# Ages are counted at this date, not today, so the same seed gives the same county in any year.
REFERENCE_DATE = dt.date(2025, 1, 1)
CENTRAL_GROUP = 11  # a central household and the (up to) 10 households it looks after
REGISTERED, FLOATING, MIXED = "registered", "floating", "mixed"
# Phone numbers: a bijection n -> 10 digits after the leading 1, second digit 3..9, so all are unique.
_PHONE_SPACE = 7 * 10**9
_PHONE_STEP = 7_919_333  # coprime with 2, 5 and 7


@dataclass(slots=True)
class Person:
    name: str
    sex: str
    birth: dt.date
    relation: str
    residence: str
    id_number: str
    phone: str
    tags: list[str]

    @property
    def age(self) -> int:
        return (REFERENCE_DATE - self.birth).days // 365


@dataclass
class HouseholdDraft:
    number: str
    address: str
    lat: float
    lon: float
    registration: str
    members: list[Person]
    central: bool = False
    group: int = 0  # index of the central-household group in its micro-grid


# What the writer needs of a resident, already encrypted, hashed and masked:
# (name, sex, birth, relation, residence, id_enc, id_hash, id_masked, phone_enc, phone_hash, phone_masked,
#  tags, cadre) where cadre is None or (kind, work_unit, registered_on) for 进村报到.
ResidentRow = tuple
# (micro-grid code, number, address, lat, lon, registration, is_central, group, [ResidentRow, ...])
HouseholdRow = tuple


@dataclass
class MicroGridDraft:
    plan: MicroGridPlan
    households: list[HouseholdDraft] = field(default_factory=list)


class PeopleFactory:
    """Hands out unique ID numbers and phones across the whole build, in a deterministic order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._id_seq: dict[tuple[str, dt.date, str], int] = {}
        self._phones = 0
        self._phone_offset = random.Random(f"phones:{seed}").randrange(_PHONE_SPACE)

    def id_number(self, area: str, birth: dt.date, sex: str) -> tuple[str, dt.date]:
        """A valid ID number not handed out before; moves the birth date a day on if a day is full."""
        while True:
            key = (area, birth, sex)
            seq = self._id_seq.get(key, 0)
            if seq < 500:
                self._id_seq[key] = seq + 1
                return make_id_number(area, birth, seq, sex), birth
            birth -= dt.timedelta(days=1)

    def phone(self) -> str:
        n = self._phones
        self._phones += 1
        return "1" + str(3 * 10**9 + (self._phone_offset + n * _PHONE_STEP) % _PHONE_SPACE)

    def village(self, plan: VillagePlan) -> VillageDrafter:
        return VillageDrafter(self, plan, random.Random(f"shanzhi-demo-people:{self.seed}:{plan.code}"))


def person_name(rng: random.Random, surname: str, sex: str) -> str:
    chars = N.MALE_CHARS if sex == "M" else N.FEMALE_CHARS
    if rng.random() < 0.3:
        return surname + rng.choice(chars)
    return surname + rng.choice(chars) + rng.choice(chars)


class VillageDrafter:
    """Draft the households of one village, micro-grid by micro-grid."""

    def __init__(self, factory: PeopleFactory, plan: VillagePlan, rng: random.Random) -> None:
        self.f = factory
        self.plan = plan
        self.rng = rng
        self.residents = 0

    # -- people -------------------------------------------------------------------------------------
    def _person(self, *, age: int, sex: str, relation: str, local: bool, surname: str | None = None,
                area: str | None = None) -> Person:
        rng = self.rng
        age = max(0, min(age, 99))
        birth = REFERENCE_DATE - dt.timedelta(days=age * 365 + rng.randrange(1, 365))
        area = area or (rng.choice(N.LOCAL_AREAS) if local else rng.choice(N.OTHER_AREAS))
        id_number, birth = self.f.id_number(area, birth, sex)
        surname = surname or rng.choice(N.LOCAL_SURNAMES if local else N.OTHER_SURNAMES)
        phone = ""
        if relation == "head" or (age >= 18 and rng.random() < (0.6 if age >= 75 else 0.92)):
            phone = self.f.phone()
        tags: list[str] = []
        r = rng.random
        if r() < 0.018:
            tags.append("disabled")
        if local and r() < 0.02:
            tags.append("low_income")
        if sex == "M" and 35 <= age <= 85 and r() < 0.04:
            tags.append("veteran")
        if age >= 18 and r() < (0.07 if local else 0.03):
            tags.append("party_member")
        if r() < 0.01:
            tags.append("serious_illness")
        if local and age < 16 and r() < 0.03:
            tags.append("left_behind_child")
        self.residents += 1
        return Person(person_name(rng, surname, sex), sex, birth, relation,
                      "registered" if local else "floating", id_number, phone, tags)

    def _family(self, size: int, local: bool, young: bool) -> list[Person]:
        """A head with spouse, children, parents or grandchildren whose ages fit."""
        rng = self.rng
        if size == 1:
            head_age = rng.randint(20, 45) if young else (
                rng.randint(65, 92) if rng.random() < 0.5 else rng.randint(22, 64))
        else:
            head_age = rng.randint(24, 50) if young else int(rng.triangular(26, 82, 50))
        head_sex = "M" if rng.random() < 0.72 else "F"
        area = rng.choice(N.LOCAL_AREAS) if local else rng.choice(N.OTHER_AREAS)
        head = self._person(age=head_age, sex=head_sex, relation="head", local=local, area=area)
        surname = head.name[0]
        members = [head]
        if size == 1 and head_age >= 65 and local and rng.random() < 0.85:
            head.tags.append("elderly_alone")
        other = "F" if head_sex == "M" else "M"
        if size >= 2 and rng.random() < 0.88:
            members.append(self._person(age=head_age + rng.randint(-5, 4), sex=other, relation="spouse",
                                        local=local, area=area if rng.random() < 0.6 else None))
        left = size - len(members)
        if head_age >= 58 and left:
            for _ in range(min(left, 2)):
                child_age = head_age - rng.randint(24, 32)
                members.append(self._person(age=child_age, sex=rng.choice("MF"), relation="child", local=local,
                                            surname=surname, area=area))
            left = size - len(members)
            for _ in range(left):
                members.append(self._person(age=max(0, head_age - rng.randint(50, 60)), sex=rng.choice("MF"),
                                            relation="grandchild", local=local, surname=surname, area=area))
        else:
            kids = min(left, 3 if not young else 2)
            for _ in range(kids):
                members.append(self._person(age=max(0, head_age - rng.randint(22, 34)), sex=rng.choice("MF"),
                                            relation="child", local=local, surname=surname, area=area))
            left = size - len(members)
            for i in range(left):
                if i < 2:
                    members.append(self._person(age=head_age + rng.randint(24, 32), sex="M" if i == 0 else "F",
                                                relation="parent", local=local,
                                                surname=surname if i == 0 else None, area=area))
                else:
                    members.append(self._person(age=head_age + rng.randint(-8, 8), sex=rng.choice("MF"),
                                                relation="sibling", local=local, surname=surname, area=area))
        return members

    def _household(self, mg: MicroGridPlan, index: int, house_no: int) -> HouseholdDraft:
        rng = self.rng
        x = rng.random()
        share = self.plan.floating_share
        if x < share * 0.9:
            kind = FLOATING
        elif x < share * 0.9 + 0.12:
            kind = MIXED
        else:
            kind = REGISTERED
        if kind == FLOATING:
            if rng.random() < 0.25:  # workers sharing a rented flat
                size = rng.randint(2, 4)
                members = [self._person(age=rng.randint(19, 50), sex="M" if rng.random() < 0.6 else "F",
                                        relation="head", local=False)]
                for _ in range(size - 1):
                    members.append(self._person(age=rng.randint(18, 50), sex=rng.choice("MF"), relation="other",
                                                local=False))
            else:
                size = rng.choices([1, 2, 3, 4, 5], [22, 25, 30, 18, 5])[0]
                members = self._family(size, local=False, young=True)
        elif kind == MIXED:
            size = rng.choices([2, 3, 4, 5, 6], [15, 30, 30, 18, 7])[0]
            members = self._family(size, local=True, young=False)
            for _ in range(rng.choice([1, 1, 2, 3])):
                members.append(self._person(age=rng.randint(18, 48), sex=rng.choice("MF"), relation="tenant",
                                            local=False))
        else:
            size = rng.choices([1, 2, 3, 4, 5, 6, 7], [14, 24, 26, 18, 11, 5, 2])[0]
            members = self._family(size, local=True, young=False)
        if mg.urban:
            floor, room = index // 2 + 1, index % 2 + 1
            address = f"{mg.address}{floor}0{room}室"
        else:
            address = f"{mg.address}{house_no}号"
        lon, lat = point_in(mg.quad, rng.uniform(0.04, 0.96), rng.uniform(0.04, 0.96))
        return HouseholdDraft(number=f"{mg.code}-{index + 1:03d}", address=address, lat=lat, lon=lon,
                              registration=kind, members=members)

    def _add_child(self, drafts: list[HouseholdDraft]) -> None:
        """Grow the smallest local family by one child (used to reach a village's minimum residents)."""
        h = min((d for d in drafts if d.registration != FLOATING), key=lambda d: len(d.members))
        head = h.members[0]
        h.members.append(self._person(age=max(0, head.age - self.rng.randint(22, 34)), sex=self.rng.choice("MF"),
                                      relation="child", local=True, surname=head.name[0],
                                      area=head.id_number[:6]))

    def micro_grids(self) -> list[MicroGridDraft]:
        """Draft every household of the village; mark central households, one per group of up to 11."""
        out: list[MicroGridDraft] = []
        for grid in self.plan.grids:
            for mg in grid.micro_grids:
                draft = MicroGridDraft(mg)
                house_no = self.rng.randint(1, 40)
                for i in range(mg.households):
                    house_no += self.rng.randint(1, 3)
                    draft.households.append(self._household(mg, i, house_no))
                out.append(draft)
        all_households = [h for d in out for h in d.households]
        while self.residents < self.plan.min_residents:
            self._add_child(all_households)
        for d in out:
            self._mark_central(d.households)
        return out

    def _mark_central(self, households: list[HouseholdDraft]) -> None:
        """Each run of up to 11 households gets one central household, led by a party-member head."""
        for g, start in enumerate(range(0, len(households), CENTRAL_GROUP)):
            chunk = households[start:start + CENTRAL_GROUP]
            for h in chunk:
                h.group = g
            central = next((h for h in chunk if h.registration != FLOATING and 25 <= h.members[0].age <= 75),
                           chunk[0])
            central.central = True
            head = central.members[0]
            if "party_member" not in head.tags:
                head.tags.append("party_member")


def _cadre(rng: random.Random, p: Person) -> tuple | None:
    """Whether a party member (or a cadre) living here registered with the village (进村报到)."""
    if not 22 <= p.age <= 62:
        return None
    if "party_member" in p.tags and rng.random() < 0.25:
        kind = "party_member"
    elif p.residence == "registered" and rng.random() < 0.005:
        kind = "cadre"
    else:
        return None
    work_unit = rng.choice(N.WORK_UNITS) if rng.random() < 0.7 else ""
    return kind, work_unit, dt.date(2019, 3, 1) + dt.timedelta(days=rng.randrange(2000))


def _sealed(p: Person, cadre: tuple | None) -> ResidentRow:
    phone = p.phone
    return (p.name, p.sex, p.birth, p.relation, p.residence, crypto.encrypt(p.id_number),
            crypto.lookup_hash(p.id_number), mask_id_number(p.id_number),
            crypto.encrypt(phone) if phone else "", crypto.lookup_hash(phone) if phone else "",
            mask_phone(phone) if phone else "", p.tags, cadre)


def village_rows(factory: PeopleFactory, plan: VillagePlan) -> list[HouseholdRow]:
    """Every household of a village as plain rows ready to insert (personal data already encrypted)."""
    drafts = factory.village(plan).micro_grids()
    rng = random.Random(f"shanzhi-demo-cadres:{factory.seed}:{plan.code}")
    out: list[HouseholdRow] = []
    for d in drafts:
        for h in d.households:
            members = [_sealed(p, _cadre(rng, p)) for p in h.members]
            out.append((d.plan.code, h.number, h.address, h.lat, h.lon, h.registration, h.central, h.group,
                        members))
    return out
