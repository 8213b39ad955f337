//! `GET /metrics`: the node's counters in the Prometheus text format. The names are the
//! seed's (`marketplace.search.latency`, ...) spelled as Prometheus allows: underscores,
//! and the unit at the end. Latencies are summaries (`_sum` and `_count`), from which
//! Prometheus derives averages over any window.

use std::fmt::Write;

use libp2p::metrics::Registry;
use souk_net::events::{Stats, Timing};
use souk_webtransport::{Refusal, Refusals};

/// The node's counters, then libp2p's (`bandwidth`: the bytes each transport carried).
pub fn render(stats: &Stats, webtransport: &Refusals, bandwidth: &Registry) -> String {
    let mut out = String::new();
    let timings = [
        ("marketplace_search_latency_seconds", "Local searches, DHT fallback included.", stats.searches),
        ("marketplace_dht_lookup_latency_seconds", "Kademlia lookups of pack records.", stats.lookups),
        ("marketplace_install_latency_seconds", "Installs: resolution and every fetch.", stats.installs),
    ];
    for (name, help, Timing { count, total }) in timings {
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} summary\n{name}_sum {}\n{name}_count {count}\n",
            total.as_secs_f64()
        );
    }
    let gauges = [
        ("marketplace_cache_hit_rate", "Lookup cache hits over lookups, 0 to 1.", stats.cache.hit_rate()),
        ("marketplace_p2p_peer_count", "Peers connected now.", stats.peers as f64),
        ("marketplace_index_packs", "Pack versions in the index.", stats.packs as f64),
    ];
    for (name, help, value) in gauges {
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");
    }
    let name = "marketplace_events_dropped_total";
    let _ = write!(
        out,
        "# HELP {name} Events a subscriber fell too far behind to be sent.\n# TYPE {name} counter\n{name} {}\n",
        stats.events_dropped
    );
    let name = "marketplace_refused_total";
    let _ = write!(
        out,
        "# HELP {name} Records, messages and bodies refused from peers.\n# TYPE {name} counter\n"
    );
    for (reason, count) in &stats.refused {
        let _ = writeln!(out, "{name}{{reason=\"{}\"}} {count}", reason.as_str());
    }
    let name = "marketplace_webtransport_refused_total";
    let _ = write!(
        out,
        "# HELP {name} WebTransport sessions closed before they became connections.\n# TYPE {name} counter\n"
    );
    for reason in Refusal::ALL {
        let _ = writeln!(out, "{name}{{reason=\"{}\"}} {}", reason.as_str(), webtransport.get(reason));
    }
    // OpenMetrics text, which ends with `# EOF`: last, so the whole reads as either format.
    let _ = prometheus_client::encoding::text::encode(&mut out, bandwidth);
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use souk_core::peer::Reason;

    use super::*;

    #[test]
    fn every_metric_has_its_type_and_value() {
        let refused = vec![(Reason::BadRecord, 2), (Reason::ContradictingBase, 0)];
        let mut stats = Stats { peers: 3, packs: 28, refused, events_dropped: 5, ..Stats::default() };
        stats.lookups = Timing { count: 4, total: Duration::from_millis(500) };
        stats.cache.hot_hits = 3;
        stats.cache.misses = 1;
        let text = render(&stats, &Refusals::default(), &Registry::default());
        for line in [
            "# TYPE marketplace_dht_lookup_latency_seconds summary",
            "marketplace_dht_lookup_latency_seconds_sum 0.5",
            "marketplace_dht_lookup_latency_seconds_count 4",
            "marketplace_search_latency_seconds_count 0",
            "marketplace_install_latency_seconds_count 0",
            "marketplace_cache_hit_rate 0.75",
            "marketplace_p2p_peer_count 3",
            "marketplace_index_packs 28",
            "marketplace_events_dropped_total 5",
            "marketplace_refused_total{reason=\"bad_record\"} 2",
            "marketplace_refused_total{reason=\"contradicting_base\"} 0",
            "marketplace_webtransport_refused_total{reason=\"timeout\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }
}
