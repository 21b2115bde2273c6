"""Reason categories of the line and their Swedish names, so every service words them alike.

Which categories a line uses is configuration (HALSOSUPPORT_REASON_CATEGORIES); a category
without a name here is shown as its code.
"""

REASON_LABELS_SV = {
    "respiratory_infection": "Luftvägsinfektion",
    "gastrointestinal": "Mag- och tarmbesvär",
    "musculoskeletal": "Besvär i rörelseorganen",
    "mental_ill_health": "Psykisk ohälsa",
    "covid_19": "Covid-19",
    "injury": "Skada",
    "other": "Övrigt",
}
WITHHELD_SV = "Vill ej ange"  # reason_visibility "withheld"
CONFIDENTIAL_SV = "Sekretess"  # reason_visibility "confidential"


def reason_label(category: str) -> str:
    return REASON_LABELS_SV.get(category, category)
