//! Server-side apply as the operator's one field manager: request bodies the API server reads
//! whatever a user typed, and status writes made only when they differ from the last one.

use k8s_openapi::NamespaceResourceScope;
use kube::api::PatchParams;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use tracing::info;

use super::Context;
use super::memory::fingerprint;
use crate::api::names::FIELD_MANAGER;
use crate::decide::conditions::Announcement;
use crate::error::Error;

/// The body of a server-side apply. The API server reads it as YAML, which refuses some
/// characters JSON allows raw (DEL, C1 controls, U+FFFE, U+FFFF...): any text a user wrote may
/// hold them, so they are sent escaped (`\uXXXX`), which both read as the same string.
pub fn apply_body(
    value: &impl serde::Serialize,
) -> Result<Box<serde_json::value::RawValue>, Error> {
    let json = serde_json::to_string(value)?;
    let escaped = yaml_safe(&json);
    Ok(serde_json::value::RawValue::from_string(escaped)?)
}

/// Whether `c` is in YAML's printable set (YAML 1.1's c-printable, which the API server's
/// decoder keeps).
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether JSON text holds a character YAML refuses. JSON text has no raw control below U+0020
/// but tab, newline and return, and a Rust string no surrogate, so what is left to find is DEL,
/// the C1 controls but U+0085 (0xC2 0x80 to 0x9F in UTF-8) and U+FFFE, U+FFFF (0xEF 0xBF 0xBE,
/// 0xBF). Their lead bytes are looked for with memchr: a summary of 20 KB is a few
/// microseconds, where testing every character was 4 % of the operator's CPU (a profile of
/// `make bench`).
fn refused_by_yaml(json: &str) -> bool {
    let bytes = json.as_bytes();
    memchr::memchr3_iter(0x7f, 0xc2, 0xef, bytes).any(|i| {
        let next = |n: usize| bytes.get(i + n).copied().unwrap_or_default();
        match bytes[i] {
            0x7f => true,
            0xc2 => matches!(next(1), 0x80..=0x84 | 0x86..=0x9f),
            _ => next(1) == 0xbf && matches!(next(2), 0xbe | 0xbf),
        }
    })
}

/// JSON text with every character outside YAML's printable set written as a `\u` escape. Such
/// characters can only be inside JSON strings (JSON's own syntax is ASCII), where the escape
/// means the same character.
fn yaml_safe(json: &str) -> String {
    if !refused_by_yaml(json) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if printable(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// A namespaced kind with a status subresource the operator writes.
pub trait WithStatus:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
{
}

impl<K> WithStatus for K where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
{
}

/// The kind of write, for the memo of refusals.
const WRITE: &str = "status";

/// Server-side apply of `status` to the status subresource of `object`, as the one field
/// manager; false where it was not sent because it stands already. A status refused for good is
/// not sent again over the same object version.
async fn apply_status<K>(
    ctx: &Context,
    object: &K,
    status: &impl serde::Serialize,
    ready: Option<&str>,
) -> Result<bool, Error>
where
    K: WithStatus,
{
    let namespace = object.namespace().unwrap_or_default();
    let name = object.name_any();
    let key = format!("{}/{namespace}/{name}", K::kind(&()));
    let version = object.meta().resource_version.clone().unwrap_or_default();
    let essence = status_essence(status);
    // The watch cache can still show the object as it was before our last write; the same
    // status computed again from that old view must not be written twice.
    if ctx.written.already(&key, &version, &essence) {
        return Ok(false);
    }
    // A reconcile acts on the object as the cache held it when the reconcile started: the echo
    // of the operator's last write may have come since (ending that write's memo). Where the
    // cache now shows this very status, it is not written twice.
    if cached_status_since(ctx, &K::kind(&()), &namespace, &name, &version) == Some(essence) {
        return Ok(false);
    }
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let inputs = fingerprint(&[version.as_bytes(), &essence]);
    if let Some(message) = ctx.refusals.refused_before(&key, WRITE, &inputs) {
        return Err(Error::RefusedBefore(message));
    }
    ctx.writable()?;
    let produced = match super::applied::apply::<K>(
        &ctx.client,
        &namespace,
        &name,
        Some("status"),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &apply_body(&patch)?,
    )
    .await
    {
        Ok(produced) => produced,
        Err(e) => {
            let error = Error::Kube(e);
            if error.is_permanent() && !error.heals_from_outside() && !error.is_not_found() {
                ctx.refusals.refused(&key, WRITE, inputs, error.to_string());
            }
            return Err(error);
        }
    };
    ctx.refusals.accepted(&key, WRITE);
    let cache_moved = || {
        ctx.cached_version(&K::kind(&()), &namespace, &name)
            .unwrap_or_default()
            != version
    };
    ctx.written.wrote(
        key.clone(),
        key,
        version.clone(),
        essence,
        produced,
        cache_moved,
    );
    ctx.metrics.wrote(status_resource::<K>());
    info!(ready, "status written");
    Ok(true)
}

/// Writes `status` to `object` unless `current` is already the same; then, and only once it is
/// written, says `say`: a retried write never repeats it.
pub async fn write_status<K, S>(
    ctx: &Context,
    object: &K,
    key: &str,
    current: Option<&S>,
    status: &S,
    ready: Option<&str>,
    say: Option<Announcement>,
) -> Result<(), Error>
where
    K: WithStatus,
    S: PartialEq + serde::Serialize,
{
    if current == Some(status) {
        return Ok(());
    }
    let written = apply_status(ctx, object, status, ready).await?;
    if let Some(say) = say.filter(|_| written) {
        ctx.say(object, key, say).await;
    }
    Ok(())
}

/// The digest of a status without its transition times, which a stale view recomputes as
/// "now". A digest, not the status: one is kept per object, for every object.
fn status_essence(status: &impl serde::Serialize) -> [u8; 32] {
    use sha2::Digest as _;
    let mut value = serde_json::to_value(status).unwrap_or_default();
    if let Some(conditions) = value.get_mut("conditions").and_then(|c| c.as_array_mut()) {
        for condition in conditions {
            if let Some(fields) = condition.as_object_mut() {
                fields.remove("lastTransitionTime");
            }
        }
    }
    sha2::Sha256::digest(value.to_string().as_bytes()).into()
}

/// The essence of the status the cache shows for the report or recommendation `name`, where
/// the cache shows it at another resourceVersion than `seen` (only then: a status is hashed
/// only where the cache has moved, not on every write).
fn cached_status_since(
    ctx: &Context,
    kind: &str,
    namespace: &str,
    name: &str,
    seen: &str,
) -> Option<[u8; 32]> {
    let moved = |version: Option<String>| version.is_some_and(|v| v != seen);
    match kind {
        "ConferenceReport" => {
            let report = ctx.reports.get(&ObjectRef::new(name).within(namespace))?;
            moved(report.resource_version()).then(|| status_essence(&report.status))
        }
        "TalkRecommendation" => {
            let rec = ctx
                .recommendations
                .get(&ObjectRef::new(name).within(namespace))?;
            moved(rec.resource_version()).then(|| status_essence(&rec.status))
        }
        _ => None,
    }
}

/// The metric label for a kind's status subresource.
pub fn status_resource<K: Resource<DynamicType = ()>>() -> &'static str {
    if K::kind(&()) == "ConferenceReport" {
        "conferencereports/status"
    } else {
        "talkrecommendations/status"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_bodies_escape_what_yaml_refuses_and_mean_the_same() {
        let value = serde_json::json!({"reviewer": "bob\u{7f}\u{9b}\u{85}\u{fffe}\u{ffff}é🎉\t"});
        let body = apply_body(&value).expect("an apply body");
        let text = body.get();
        assert!(
            text.contains(r"\u007f") && text.contains(r"\u009b") && text.contains(r"\ufffe"),
            "{text}"
        );
        assert!(
            text.chars()
                .all(|c| c.is_ascii() || c == 'é' || c == '🎉' || c == '\u{85}')
        );
        let back: serde_json::Value = serde_json::from_str(text).expect("still JSON");
        assert_eq!(back, value);
        // Nothing to escape: the same text.
        let plain = serde_json::json!({"a": "plain ASCII and ação"});
        assert_eq!(
            apply_body(&plain).expect("a body").get(),
            serde_json::to_string(&plain).expect("JSON")
        );
    }

    /// The byte search finds exactly the characters the printable set leaves out, for every
    /// character JSON text may hold raw.
    #[test]
    fn the_byte_search_agrees_with_the_printable_set_on_every_character() {
        let raw_in_json = |c: &char| *c >= ' ' || matches!(c, '\t' | '\n' | '\r');
        for c in (char::MIN..=char::MAX).filter(raw_in_json) {
            for text in [
                format!("{c}"),
                format!("a{c}\u{a0}"),
                format!("\u{c2}\u{ef}{c}"),
            ] {
                assert_eq!(
                    refused_by_yaml(&text),
                    !text.chars().all(printable),
                    "U+{:04X} in {text:?}",
                    c as u32
                );
            }
        }
    }
}
