"""Derived features for the Sichuan per-number table (its 55 published columns).

The Sichuan telecom fraud data set, in the per-user form published with GAT-COBO, gives one
row per number with counts, means and modes of its calls, SMS, app traffic and bills over up to
eight months. Counts alone mix how *much* a number is used with *how* it is used; these
features divide them into shares and rates, so that a busy honest number and a busy fraud
number differ by what they do rather than by volume:

* call shape: distinct callees per call (scatter dialling), outgoing share, IMEIs per call,
  the median against the mean and the longest call against the mean (many short calls), calls
  and callees per active day, the share of calls on the busiest day and in the busiest hour,
  the share of the most-called number, cities and counties per call;
* SMS: distinct counterparts per message, the incoming share, messages per call, per active
  day, and the busiest day's share;
* bills and traffic per month of service (``month_ids`` months): spend, traffic, business
  records and calls per month, the range and peak of the monthly bill against its mean (a
  trend the aggregates leave), and the share of traffic in the app-flow month column;
* missing values: how many of the 55 columns are missing, and indicators for a number with no
  call, no SMS, no app traffic and no bill records (young or barely used numbers).

Nothing here is fitted; the choice of these features was measured on the file-order
validation rows and in cross-validation (docs/model.md, "File order beside cross-validation").

>>> import polars as pl
>>> names = [name for name, _ in SICHUAN_DERIVED]
>>> len(names), names[0]
(30, 'distinct_callee_share')
>>> frame = pl.DataFrame({c: [4.0] for c in SICHUAN_COLUMNS})
>>> frame.with_columns([e for _, e in SICHUAN_DERIVED])["calls_per_month"].to_list()
[1.0]
"""

from __future__ import annotations

from callwarden.detect.model.file_order import Derived, difference, missing, ratio

__all__ = ["SICHUAN_COLUMNS", "SICHUAN_DERIVED"]

#: The 55 numeric columns of the published table, in its order (the id and label left out).
SICHUAN_COLUMNS = (
    "opposite_count", "opposite_unique", "voccalltype1", "imeis", "voc_calltype1",
    "city_name_call", "county_name_call", "phone2opposite_mean", "phone2opposite_median",
    "phone2opposite_max", "phone2oppo_sum_mean", "phone2oppo_sum_median", "phone2oppo_sum_max",
    "call_dur_mean", "call_dur_median", "call_dur_max", "call_dur_min", "city_name_nunique",
    "county_name_nunique", "calltype_id_unique", "voc_hour_mode", "voc_hour_mode_count",
    "voc_hour_nunique", "voc_day_mode", "voc_day_mode_count", "voc_day_nunique", "sms_count",
    "sms_nunique", "sms_rate", "calltype_2", "calltype_rate", "hour_mode", "hour_mode_count",
    "hour_nunique", "day_mode", "day_mode_count", "day_nunique", "busi_count", "flow_mean",
    "flow_median", "flow_min", "flow_max", "flow_var", "flow_sum", "month_ids", "flow_month",
    "arpu_mean", "arpu_var", "arpu_max", "arpu_min", "arpu_median", "arpu_sum", "arpu_skew",
    "arpu_sem", "arpu_quantile",
)  # fmt: skip

SICHUAN_DERIVED: tuple[Derived, ...] = (
    # calls
    ratio("distinct_callee_share", "opposite_unique", "opposite_count"),
    ratio("outgoing_share", "voccalltype1", "opposite_count"),
    ratio("imeis_per_call", "imeis", "opposite_count"),
    ratio("median_to_mean_call", "call_dur_median", "call_dur_mean"),
    ratio("longest_to_mean_call", "call_dur_max", "call_dur_mean"),
    ratio("callees_per_day", "opposite_unique", "voc_day_nunique"),
    ratio("calls_per_day", "opposite_count", "voc_day_nunique"),
    ratio("busiest_day_call_share", "voc_day_mode_count", "opposite_count"),
    ratio("busiest_hour_call_share", "voc_hour_mode_count", "opposite_count"),
    ratio("top_callee_share", "phone2opposite_max", "opposite_count"),
    ratio("median_to_mean_calls_per_callee", "phone2opposite_median", "phone2opposite_mean"),
    ratio("cities_per_call", "city_name_nunique", "opposite_count"),
    ratio("counties_per_call", "county_name_nunique", "opposite_count"),
    # SMS
    ratio("distinct_sms_share", "sms_nunique", "sms_count"),
    ratio("sms_incoming_share", "calltype_2", "sms_count"),
    ratio("sms_per_call", "sms_count", "opposite_count"),
    ratio("busiest_day_sms_share", "day_mode_count", "sms_count"),
    ratio("sms_per_day", "sms_count", "day_nunique"),
    # bills and traffic per month of service
    ratio("arpu_per_month", "arpu_sum", "month_ids"),
    difference("arpu_range", "arpu_max", "arpu_min"),
    ratio("arpu_peak_to_mean", "arpu_max", "arpu_mean"),
    ratio("flow_per_month", "flow_sum", "month_ids"),
    ratio("flow_month_share", "flow_month", "flow_sum"),
    ratio("business_per_month", "busi_count", "month_ids"),
    ratio("calls_per_month", "opposite_count", "month_ids"),
    # missing values
    missing("missing_columns", SICHUAN_COLUMNS),
    missing("no_calls", ["opposite_count"]),
    missing("no_sms", ["sms_count"]),
    missing("no_app_flow", ["flow_mean"]),
    missing("no_bills", ["arpu_mean"]),
)
