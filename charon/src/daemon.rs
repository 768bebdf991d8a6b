//! Starting a real charon by hand: a private work folder (strongswan.conf, swanctl
//! folders, vici socket, logs) and the daemon in its own network namespace with only
//! loopback, stopped by PID on drop whatever happens.
//!
//! * [`Release::Bookworm`] (5.9.8, pre-fix): `unshare --net --mount sh -c 'ip link set
//!   lo up && mount -t tmpfs tmpfs /run && exec "$@"' sh /usr/lib/ipsec/charon` on the
//!   host (a private /run, so no other charon's pid file can stop this one).
//! * [`Release::Trixie`] (6.0.1, fixed): `unshare --net --mount sh -c 'ip link set lo up
//!   && mount -t proc proc "$1" && mount -t tmpfs tmpfs "$2" && shift 2 && exec chroot
//!   "$@"' sh ROOT/proc ROOT/run ROOT /usr/lib/ipsec/charon`. The mount namespace is
//!   private (unshare's default propagation), so /proc and a private /run (no stale pid
//!   file can stop charon) are mounted inside the root for charon only and disappear
//!   with it; the work folder lives inside the root, and its vici socket is reachable
//!   from the host through the root's path.
//!
//! The script is fixed; paths and the program are its arguments, so nothing is quoted
//! for the shell.
//!
//! With [`Options::netns_of`] the command is `nsenter --net=/proc/PID/ns/net unshare
//! --mount ...` instead, without `ip link`: a second charon in the namespace of the
//! first, its IKE peer over loopback.
//!
//! Under helgrind the exec'ed program is `valgrind --tool=helgrind --xml=yes ...
//! charon` (the host's valgrind for bookworm, trixie's inside the root), so the PID is
//! still the daemon's.
//!
//! What lives here: [`Release`] (which daemon, its provisioning and root), [`Work`]
//! (the work folder, `daemon/work.rs`) and [`Charon`] with its [`Options`] (the
//! started daemon, `daemon/charon.rs`).

use crate::provision;
use anyhow::Result;
use std::path::PathBuf;
use swan_credstore::Flow;
use swan_credstore_models::record::Variant;

mod charon;
mod work;
pub use charon::{Charon, Options};
pub use work::Work;

/// The charon executable (inside the root for trixie).
pub const CHARON: &str = "/usr/lib/ipsec/charon";

/// Which stock daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Debian bookworm's strongSwan 5.9.8: the pre-fix `load-conn`.
    Bookworm,
    /// Debian trixie's strongSwan 6.0.1: the upstream fix.
    Trixie,
}

impl Release {
    /// Both, pre-fix first.
    pub const ALL: [Release; 2] = [Release::Bookworm, Release::Trixie];

    /// "bookworm 5.9.8" / "trixie 6.0.1".
    pub fn label(self) -> &'static str {
        match self {
            Release::Bookworm => "bookworm 5.9.8",
            Release::Trixie => "trixie 6.0.1",
        }
    }

    /// Short name for folders.
    pub fn tag(self) -> &'static str {
        match self {
            Release::Bookworm => "bookworm",
            Release::Trixie => "trixie",
        }
    }

    /// The model flow this daemon implements.
    pub fn flow(self) -> Flow {
        match self {
            Release::Bookworm => Flow::PreFix,
            Release::Trixie => Flow::UpstreamFix,
        }
    }

    /// The model's subject-cell variant for this daemon.
    pub fn variant(self) -> Variant {
        match self {
            Release::Bookworm => Variant::InPlace,
            Release::Trixie => Variant::Immutable,
        }
    }

    /// The outcome every subject-race check must give this daemon: `race` on the
    /// pre-fix release, `pass` on the fixed one.
    pub fn expected(self) -> swan_credstore_models::record::Outcome {
        use swan_credstore_models::record::Outcome;
        match self {
            Release::Bookworm => Outcome::Race,
            Release::Trixie => Outcome::Pass,
        }
    }

    /// Installs what this daemon needs; returns the package versions.
    pub fn provision(self) -> Result<String> {
        match self {
            Release::Bookworm => provision::ensure_host(),
            Release::Trixie => provision::ensure_trixie().map(|(_, v)| v),
        }
    }

    /// The root the daemon runs in (`None`: the host).
    pub fn root(self) -> Option<PathBuf> {
        match self {
            Release::Bookworm => None,
            Release::Trixie => Some(provision::trixie_root()),
        }
    }
}
