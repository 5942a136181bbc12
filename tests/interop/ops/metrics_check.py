"""Checks a cygnetd /metrics scrape with a real Prometheus text-format parser (prometheus_client)
against the same daemon's `cygnetctl stats --json`. Usage: metrics_check.py SCRAPE STATS ROLE
(ROLE = initiator | responder: which side of the IKE_SA_INIT it was). Exit 0 when every check holds."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    scrape_path, stats_path, role = sys.argv[1:4]
    with open(scrape_path, encoding="utf-8") as f:
        text = f.read()
    with open(stats_path, encoding="utf-8") as f:
        stats = json.load(f)
    if "result" in stats:
        stats = stats["result"]
    families = {fam.name: fam for fam in text_string_to_metric_families(text)}
    problems = []

    def check(ok, what):
        if not ok:
            problems.append(what)

    def samples(family, sample_name=None):
        fam = families.get(family)
        if fam is None:
            problems.append("family %s missing" % family)
            return []
        return [s for s in fam.samples if sample_name is None or s.name == sample_name]

    # Per CHILD SA: bytes and packets, by SPI and direction, equal to the stats numbers.
    sas = stats["sas"]
    check(len(sas) == 1, "expected one CHILD SA in stats, got %d" % len(sas))
    for sa in sas:
        for metric, field in (("cygnet_child_sa_bytes", "bytes"), ("cygnet_child_sa_packets", "packets")):
            for direction, spi_key in (("in", "inbound_spi"), ("out", "outbound_spi")):
                want = sa["inbound" if direction == "in" else "outbound"][field]
                got = [s.value for s in samples(metric, metric + "_total")
                       if s.labels.get("spi") == sa[spi_key] and s.labels.get("direction") == direction
                       and s.labels.get("connection") == sa["connection"] and s.labels.get("child") == sa["child"]]
                check(got == [want], "%s %s spi %s: metrics %s, stats %s" % (metric, direction, sa[spi_key], got, want))
                check(want > 0, "%s %s is zero: no traffic went through" % (metric, direction))
    # Per connection: the same sums (no CHILD SA was removed yet).
    for direction in ("in", "out"):
        want = sum(sa["inbound" if direction == "in" else "outbound"]["bytes"] for sa in sas)
        got = [s.value for s in samples("cygnet_connection_bytes", "cygnet_connection_bytes_total")
               if s.labels == {"connection": "peer", "direction": direction}]
        check(got == [want], "connection bytes %s: %s vs %s" % (direction, got, want))

    ike = stats["ike"]
    est = [s.value for s in samples("cygnet_ike_sas_established", "cygnet_ike_sas_established_total")]
    check(est == [ike["ike_sas_established"]] and est[0] >= 1, "ike_sas_established %s vs %s" % (est, ike["ike_sas_established"]))
    state = {s.labels["state"]: s.value for s in samples("cygnet_ike_sas") if s.labels.get("connection") == "peer"}
    check(state.get("established") == 1, "cygnet_ike_sas{state=established} = %s" % state.get("established"))
    check(state.get("connecting") == 0, "cygnet_ike_sas{state=connecting} = %s" % state.get("connecting"))
    child_sas = [s.value for s in samples("cygnet_child_sas") if s.labels == {"connection": "peer"}]
    check(child_sas == [1], "cygnet_child_sas %s" % child_sas)

    # Handshake latency histogram: count >= 1, +Inf bucket == count, buckets cumulative.
    hist = samples("cygnet_ike_handshake_duration_seconds")
    count = [s.value for s in hist if s.name.endswith("_count")]
    check(count and count[0] >= 1, "handshake histogram count %s" % count)
    buckets = [(float(s.labels["le"]), s.value) for s in hist if s.name.endswith("_bucket")]
    check(buckets and buckets[-1][0] == float("inf") and count and buckets[-1][1] == count[0],
          "+Inf bucket %s vs count %s" % (buckets[-1:] if buckets else None, count))
    check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "buckets not cumulative: %s" % buckets)
    sums = [s.value for s in hist if s.name.endswith("_sum")]
    check(sums and 0 <= sums[0] < 30, "handshake sum %s" % sums)

    exchanges = {(s.labels["exchange"], s.labels["role"]): s.value for s in samples("cygnet_ike_exchanges")}
    check(exchanges.get(("IKE_SA_INIT", role)) == 1, "IKE_SA_INIT as %s: %s" % (role, exchanges.get(("IKE_SA_INIT", role))))
    check(exchanges.get(("IKE_AUTH", role)) == 1, "IKE_AUTH as %s: %s" % (role, exchanges.get(("IKE_AUTH", role))))
    failures = {s.labels["reason"]: s.value for s in samples("cygnet_ike_failures")}
    check(set(failures) >= {"no_proposal_chosen", "ts_unacceptable", "authentication_failed", "timeout",
                            "peer_dead", "malformed", "invalid_ke", "other"}, "failure reasons %s" % sorted(failures))
    check(sum(failures.values()) == 0, "unexpected failures %s" % failures)
    conn_failures = [s.value for s in samples("cygnet_connection_failures", "cygnet_connection_failures_total")
                     if s.labels.get("connection") == "peer"]
    check(len(conn_failures) == 8 and sum(conn_failures) == 0, "per-connection failures %s" % conn_failures)
    rekeys = {s.labels["sa"]: s.value for s in samples("cygnet_connection_rekeys", "cygnet_connection_rekeys_total")
              if s.labels.get("connection") == "peer"}
    check(rekeys == {"ike": 0, "child": 0}, "per-connection rekeys %s" % rekeys)
    half_open = [s.value for s in samples("cygnet_ike_half_open_sas")]
    check(half_open == [0], "half-open %s" % half_open)
    cookies = [s.value for s in samples("cygnet_ike_cookies_sent", "cygnet_ike_cookies_sent_total")]
    check(cookies == [ike["cookies_sent"]], "cookies %s" % cookies)
    drops = {s.labels["reason"]: s.value for s in samples("cygnet_data_plane_drops")}
    # The stats are read after the scrape and drop counters only grow: a packet the TUN delivers in
    # between (an IPv6 router solicitation hitting a discard policy) may count in the stats only.
    stats_drops = {k: float(v) for k, v in stats["data_plane"]["drops"].items()}
    check(drops.keys() == stats_drops.keys() and all(drops[k] <= stats_drops[k] for k in drops),
          "drops differ: %s vs %s" % (drops, stats["data_plane"]["drops"]))

    for p in problems:
        print("metrics_check: " + p, file=sys.stderr)
    print("metrics_check: %d families, %d problems" % (len(families), len(problems)), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
