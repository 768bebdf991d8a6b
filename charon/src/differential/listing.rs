//! Reading what swanctl prints: `--list-certs` entries and `--list-conns` rounds, in
//! the forms [`super::run::State`] compares.

/// Reads `swanctl --list-conns` output (`list_conns.c`, `conn_sn`): a line
/// `name: …` starts a connection, `  local|remote CLASS authentication:` a round, and its
/// `    id: …` / `    certs: …` lines are kept; each round becomes one line of
/// [`super::run::State::conns`].
pub fn parse_list_conns(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut conn, mut round): (String, Option<(String, String, String)>) = (String::new(), None);
    let flush =
        |round: &mut Option<(String, String, String)>, out: &mut Vec<String>, conn: &str| {
            if let Some((side, id, certs)) = round.take() {
                out.push(format!("{conn} {side} id{id} certs{certs}"));
            }
        };
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        // Not trimmed at the end: an empty FQDN prints as nothing, and two of them
        // as one blank.
        let t = &line[indent..];
        if indent == 0 && !t.is_empty() && t.contains(':') {
            flush(&mut round, &mut out, &conn);
            conn = t.split(':').next().unwrap_or_default().to_string();
        } else if indent == 2 && t.trim_end().ends_with("authentication:") {
            flush(&mut round, &mut out, &conn);
            // `local public key authentication:` → `local public key`.
            let side = t
                .trim_end()
                .trim_end_matches("authentication:")
                .trim()
                .to_string();
            // `-` until the `id`/`certs` line is seen.
            round = Some((side, "-".to_string(), "-".to_string()));
        } else if let (4, Some(r)) = (indent, round.as_mut()) {
            if let Some(v) = t.strip_prefix("id: ") {
                r.1 = format!("={v}");
            } else if let Some(v) = t.strip_prefix("certs: ") {
                r.2 = format!("={v}");
            }
        } else if indent == 2 {
            flush(&mut round, &mut out, &conn);
        }
    }
    flush(&mut round, &mut out, &conn);
    // By connection (swanctl prints them in the daemon's order); rounds keep theirs.
    out.sort_by(|a, b| a.split(' ').next().cmp(&b.split(' ').next()));
    out
}

/// Reads `swanctl --list-certs --type pubkey` output: one entry per `keyid:` line,
/// with the `subject:` line before it in the same entry, if any.
pub fn parse_listing(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut subject = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            subject = None;
        } else if let Some(v) = line.strip_prefix("subject:") {
            subject = Some(v.trim().trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("keyid:") {
            out.push((v.trim().replace(':', ""), subject.take()));
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shapes list_certs.c/certificate_printer.c and list_conns.c print (5.9.8, 6.0.1).
    const CERTS: &str = "\nList of Raw Public Keys\n\n  subject:  \"peer.example.org\"\n  pubkey:    RSA 2048 bits\n  keyid:     dc:87:7e\n  subjkey:   34:f0\n\n  pubkey:    ED25519 256 bits\n  keyid:     63:84\n  subjkey:   63:9b\n";
    const CONNS: &str = "c0: IKEv1/2, no reauthentication, rekeying every 14400s\n  local:  127.0.0.1\n  remote: 127.0.0.2\n  local unspecified authentication:\n  remote public key authentication:\n    id: \n    certs:  \nc1: IKEv1/2, no reauthentication, rekeying every 14400s\n  local:  127.0.0.1\n  remote: 127.0.0.2\n  local public key authentication:\n    id: C=CH, CN=peer\n    certs: C=CH, CN=peer\n  remote pre-shared key authentication:\n";

    #[test]
    fn listing_entries_keep_their_subject_line() {
        assert_eq!(
            parse_listing(CERTS),
            vec![
                ("6384".to_string(), None),
                ("dc877e".to_string(), Some("peer.example.org".to_string())),
            ]
        );
    }

    #[test]
    fn list_conns_rounds_keep_blanks_and_empty_rounds() {
        assert_eq!(
            parse_list_conns(CONNS),
            vec![
                "c0 local unspecified id- certs-",
                "c0 remote public key id= certs= ",
                "c1 local public key id=C=CH, CN=peer certs=C=CH, CN=peer",
                "c1 remote pre-shared key id- certs-",
            ]
        );
    }
}
