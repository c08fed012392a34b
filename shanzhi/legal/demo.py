"""The legal service team in the demo county: one adviser (a lawyer of a county firm) for every three to five
villages, on duty two hours a week in each, and a year of questions answered in writing and of talks given.

Rows are written directly, in one transaction per adviser with one audit row (as demo.casegen does); the
askers are residents who have logged in on the phone (a resident account, as `otp_login` makes one).
Deterministic per seed; nothing is dated after the moment it runs."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from shanzhi.accounts.models import User, UserKind
from shanzhi.audit.services import audit_record
from shanzhi.demo.generator import DEMO_PASSWORD
from shanzhi.legal.models import Appointment, Category, Duty, Question, Talk
from shanzhi.lib import clock
from shanzhi.org.models import Level, OrgUnit
from shanzhi.people.models import Resident

FIRMS = ["浙江嘉善律师事务所", "嘉善魏塘律师事务所", "浙江善法律师事务所", "嘉善西塘法律服务所"]
SURNAMES = "王李张刘陈杨沈钱顾陆朱徐吴周孙"
QUESTIONS = {  # by category code (legal.catalogue)
    "marriage": [("离婚后孩子的抚养费怎么算？对方一直不给怎么办？", "抚养费一般按对方月总收入的百分之二十至三十确定；"
              "拒不支付的，可以向法院申请强制执行，也可以先到村调解室调解。")],
    "land": [("土地承包合同到期了，村里说要重新调整，我家的地会不会少？", "二轮承包到期后再延长三十年，原则上保持"
              "承包关系稳定，不得借机打乱重分；调整须经村民会议三分之二以上成员同意并报批。")],
    "labour": [("在厂里干了两年没签合同，被辞退能要补偿吗？", "未签书面劳动合同满一个月的，可主张二倍工资差额"
              "（最长十一个月），被辞退可主张经济补偿；请保留工资流水和考勤记录，向劳动仲裁委申请。")],
    "loan": [("借给亲戚五万元只有微信聊天记录，能要回来吗？", "微信转账记录和聊天中对借款的确认可以作为证据；"
              "建议先书面催告并请对方补写借条，诉讼时效为三年。")],
    "neighbour": [("邻居建房挡了我家采光，可以要求他拆吗？", "相邻建房应当遵守规划，不得妨碍相邻方的通风采光；"
              "可先请村里调解，调解不成可起诉要求排除妨碍或赔偿损失。")],
}
TALKS = ["民法典进农村：婚姻家庭编解读", "防范电信网络诈骗", "农村土地承包法律知识", "老年人权益保障法讲座",
         "劳动合同与工资支付", "未成年人保护法进校园"]


def generate_legal(*, days: int = 365, seed: int = 1, villages: list[OrgUnit] | None = None) -> dict[str, int]:
    """Advisers for every village (or the given ones) without one, and `days` of their work up to now."""
    rng = random.Random(f"legal:{seed}")
    now = clock.now()
    today = timezone.localtime(now).date()
    start = today - dt.timedelta(days=days)
    if villages is None:
        villages = list(OrgUnit.objects.filter(level=Level.VILLAGE).order_by("path"))
    served = set(Appointment.objects.values_list("village_id", flat=True))
    villages = [v for v in villages if v.id not in served]
    categories = {c.code: c for c in Category.objects.all()}
    other = next(iter(categories.values()), None)
    counts = {"advisers": 0, "appointments": 0, "questions": 0, "talks": 0}
    if not villages or other is None:
        return counts
    hashed = make_password(DEMO_PASSWORD)
    taken = set(User.objects.filter(username__startswith="lawyer").values_list("username", flat=True))
    i = 0
    while villages:
        size = rng.randint(3, 5)
        group, villages = villages[:size], villages[size:]
        i += 1
        while f"lawyer{i:03d}" in taken:
            i += 1
        with transaction.atomic():
            name = f"{rng.choice(SURNAMES)}律师（{rng.choice(FIRMS)}）"
            adviser = User.objects.create(username=f"lawyer{i:03d}", display_name=name[:50], kind=UserKind.STAFF,
                                          password=hashed)
            counts["advisers"] += 1
            for village in group:
                made = _village(rng, adviser, village, categories, other, start, today, now)
                for k, v in made.items():
                    counts[k] += v
            audit_record(actor=None, action="demo.legal", object_type="accounts.user", object_id=str(adviser.pk),
                         object_repr=adviser.display_name, after={"villages": [v.code for v in group]})
    return counts


def _askers(rng: random.Random, village: OrgUnit, n: int) -> list[User]:
    """Resident accounts of adults of the village (made as a first phone log-in makes them)."""
    people = list(Resident.objects.filter(household__micro_grid__path__startswith=village.path, status="active")
                  .exclude(phone_enc="").order_by("id").values_list("id", "name", "phone_hash")[:400])
    chosen = rng.sample(people, min(n, len(people)))
    have = {u.resident_id: u for u in User.objects.filter(resident_id__in=[p[0] for p in chosen])}
    out = []
    for rid, name, phone_hash in chosen:
        user = have.get(rid)
        if user is None:
            user = User(username=f"r{rid}", kind=UserKind.RESIDENT, display_name=name, resident_id=rid,
                        phone_hash=phone_hash)
            user.set_unusable_password()
            user.save()
        out.append(user)
    return out


def _village(rng: random.Random, adviser: User, village: OrgUnit, categories: dict, other, start: dt.date,
             today: dt.date, now: dt.datetime) -> dict[str, int]:
    tz = timezone.get_current_timezone()
    began = start - dt.timedelta(days=rng.randint(30, 400))
    appointment = Appointment.objects.create(adviser=adviser, village=village, started_on=began,
                                             term_ends_on=began + dt.timedelta(days=3 * 365),
                                             created_at=timezone.make_aware(dt.datetime.combine(began, dt.time(9)), tz))
    Duty.objects.create(appointment=appointment, weekday=rng.randint(0, 4), starts=dt.time(9), ends=dt.time(11),
                        place=f"{village.name}便民服务中心法律服务室", slot_minutes=30)
    n_questions = rng.randint(6, 18)
    askers = _askers(rng, village, n_questions)
    questions, talks = [], []
    for asker in askers:
        code = rng.choice(list(QUESTIONS))
        text, answer = rng.choice(QUESTIONS[code])
        asked = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=rng.randrange((today - start).days)),
                                                        dt.time(rng.randint(8, 21), rng.randint(0, 59))), tz)
        answered = asked + dt.timedelta(hours=rng.randint(3, 70))
        if asked >= now:
            continue
        done = answered < now and rng.random() < 0.95
        questions.append(Question(village=village, asker=asker, category=categories.get(code, other), text=text,
                                  is_public=rng.random() < 0.7, asked_at=asked, answer=answer if done else "",
                                  answered_at=answered if done else None, answered_by=adviser if done else None))
    for month in range(0, (today - start).days // 30, 3):
        day = start + dt.timedelta(days=month * 30 + rng.randint(0, 25))
        if day < today:
            talks.append(Talk(adviser=adviser, village=village, held_on=day, topic=rng.choice(TALKS),
                              audience=rng.randint(20, 120),
                              recorded_at=timezone.make_aware(dt.datetime.combine(day, dt.time(17)), tz)))
    Question.objects.bulk_create(questions)
    Talk.objects.bulk_create(talks)
    return {"appointments": 1, "questions": len(questions), "talks": len(talks)}
