//! The MI parser on records gdb printed.

use super::*;

#[test]
fn parses_a_breakpoint_stop() {
    let r = parse_line(
        r#"*stopped,reason="breakpoint-hit",disp="keep",bkptno="2",frame={addr="0x00007f8e95efa27b",func="??",args=[],from="target:/usr/lib/ipsec/plugins/libstrongswan-pubkey.so"},thread-id="12",stopped-threads=["12"],core="1""#,
    );
    let Record::Async {
        kind,
        class,
        results,
    } = r
    else {
        panic!("not async: {r:?}")
    };
    assert_eq!((kind, class.as_str()), ('*', "stopped"));
    let s = Stop::from(&results);
    assert_eq!(s.reason, "breakpoint-hit");
    assert_eq!(s.bkptno.as_deref(), Some("2"));
    assert_eq!(s.thread.as_deref(), Some("12"));
    assert_eq!(s.pc, Some(0x7f8e95efa27b));
}

#[test]
fn parses_results_lists_and_escapes() {
    let r = parse_line(
        r#"7^done,stack=[frame={level="0",addr="0x10"},frame={level="1",addr="0x20"}],msg="a \"q\"\n""#,
    );
    let Record::Result {
        token,
        class,
        results,
    } = r
    else {
        panic!("not a result")
    };
    assert_eq!((token, class.as_str()), (Some(7), "done"));
    let addrs: Vec<&str> = results
        .get("stack")
        .expect("stack")
        .items()
        .iter()
        .filter_map(|f| f.str("addr"))
        .collect();
    assert_eq!(addrs, ["0x10", "0x20"]);
    assert_eq!(results.str("msg"), Some("a \"q\"\n"));
    assert_eq!(number("-1"), Some(u64::MAX));
    assert_eq!(number("34240593922"), Some(0x7f8e60002));
}
