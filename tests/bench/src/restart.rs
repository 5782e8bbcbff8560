//! Time to Ready after a restart: the converged operator is stopped as a rollout stops it
//! (SIGTERM: it hands its Lease over), a new one starts on the same objects, and the bench times
//! `/readyz` (every cache holds a full list) and the moment it has reconciled every object again,
//! counting the writes that made: a restart over converged objects should write nothing.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::measure::{audit_counts, audit_offset, writes};
use crate::rounds::{Operator, Setup, spawn_operator};
use crate::{Error, OPERATOR_USER};

pub struct Restarted {
    /// From the new process's start to `/readyz` answering 200.
    pub ready: Duration,
    /// From the start until every report and recommendation was reconciled once.
    pub reconciled: Duration,
    /// Writes from the start to a few seconds after `reconciled`.
    pub writes: u64,
}

pub async fn restart(setup: &Setup<'_>, ns: &str, old: Operator) -> Result<Restarted, Error> {
    old.terminate(Duration::from_secs(30)).await;
    let port = free_port()?;
    let from = audit_offset(setup.audit);
    let started = Instant::now();
    let operator = spawn_operator(setup, ns, port)?;
    let deadline = started + Duration::from_secs(600);
    let mut ready = None;
    let reconciled = loop {
        if Instant::now() > deadline {
            return Err("the restarted operator did not reconcile everything in 10 minutes".into());
        }
        if ready.is_none()
            && get(port, "/readyz")
                .await
                .is_some_and(|(code, _)| code == 200)
        {
            ready = Some(started.elapsed());
        }
        if ready.is_some()
            && let Some((200, metrics)) = get(port, "/metrics").await
            && reconciles(&metrics, "ConferenceReport") >= setup.n as u64
            && reconciles(&metrics, "TalkRecommendation") >= 3 * setup.n as u64
        {
            break started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(5)).await;
    let counts = audit_counts(setup.audit, OPERATOR_USER, from, audit_offset(setup.audit));
    drop(operator);
    Ok(Restarted {
        ready: ready.ok_or("never ready")?,
        reconciled,
        writes: writes(&counts),
    })
}

/// Successful reconciles of `kind`, from the Prometheus text.
fn reconciles(metrics: &str, kind: &str) -> u64 {
    let prefix = format!(r#"tripreport_reconciles_total{{kind="{kind}",result="success"}} "#);
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

pub fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A plain HTTP/1.0 GET on loopback: the status code and the body, or None if nothing answers.
pub async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let code = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())?;
    Some((code, body))
}

/// The allocator's heap gauges (`tripreport_heap_bytes`), in MiB: allocated and resident. None
/// when the operator does not export them (built without jemalloc).
pub async fn heap(port: u16) -> Option<(f64, f64)> {
    let (_, metrics) = get(port, "/metrics").await?;
    let gauge = |state: &str| {
        let sample = format!(r#"tripreport_heap_bytes{{state="{state}"}} "#);
        metrics.lines().find_map(|l| {
            l.strip_prefix(&sample)?
                .trim()
                .parse::<f64>()
                .ok()
                .map(|b| b / (1024.0 * 1024.0))
        })
    };
    Some((gauge("allocated")?, gauge("resident")?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reconciles_reads_the_success_counter_of_one_kind() {
        let text = "# HELP x\n\
            tripreport_reconciles_total{kind=\"ConferenceReport\",result=\"success\"} 1000\n\
            tripreport_reconciles_total{kind=\"ConferenceReport\",result=\"error\"} 3\n\
            tripreport_reconciles_total{kind=\"TalkRecommendation\",result=\"success\"} 2999\n";
        assert_eq!(super::reconciles(text, "ConferenceReport"), 1000);
        assert_eq!(super::reconciles(text, "TalkRecommendation"), 2999);
        assert_eq!(super::reconciles(text, "Other"), 0);
    }
}
