"""Settings of the stats service (environment, prefix HALSOSUPPORT_)."""

from halsosupport.settings import CommonSettings


class StatsSettings(CommonSettings):
    stats_host: str = "127.0.0.1"
    stats_port: int = 8001
    stats_group_id: str = "halsosupport-stats"
    # A cell describing fewer employees than this, or a count below min_cell_count, is withheld.
    min_group_size: int = 10
    min_cell_count: int = 5
    # A net sick day's value in the cost evaluation (Försäkringskassan's model, kronor).
    price_per_day: int = 1765
