"""Reminders to whoever owns a dated item of a case: ActionDue before the date, ActionOverdue
once it passed; each once ever (recorded beside the event in the same transaction). The
notifier turns them into messages; they carry ids and dates, never the item's text."""

from datetime import datetime

from halsosupport.localtime import local_date
from schemas.cases import ActionDue, ActionOverdue, CaseStatus
from services.cases import domain
from services.cases.adapters.sql_repo import SqlUnitOfWork
from services.cases.adapters.tables import ReminderSent
from services.cases.handlers import emit, envelope


def queue_reminders(uow: SqlUnitOfWork, *, now: datetime, lead_days: int) -> int:
    """Queue today's reminders for every active case; returns how many."""
    today = local_date(now)
    queued = 0
    for case in uow.active_cases():
        plan = domain.ActionPlan.model_validate(case.action_plan) if case.action_plan else None
        items = domain.dated_items(
            case_id=case.case_id,
            status=CaseStatus(case.status),
            owner_id=case.owner_id,
            due_on=case.due_on,
            plan=plan,
        )
        sent = {
            (kind, item, domain.ReminderKind(which))
            for kind, item, which in uow.reminders_sent(case.case_id)
        }
        for reminder in domain.reminders_due(items, today=today, lead_days=lead_days, already=sent):
            item = reminder.item
            model = ActionDue if reminder.kind is domain.ReminderKind.DUE else ActionOverdue
            emit(
                uow,
                model(
                    **envelope(case, now=now, by=None),
                    owner_id=item.owner_id,
                    item_kind=item.kind,
                    item_id=item.item_id,
                    due_on=item.due_on,
                ),
                now=now,
            )
            uow.add(
                ReminderSent(
                    case_id=case.case_id,
                    item_kind=item.kind.value,
                    item_id=item.item_id,
                    kind=reminder.kind.value,
                    sent_on=today,
                )
            )
            queued += 1
    uow.commit()
    return queued
