//! Running cargo for a given build configuration.

use std::path::PathBuf;
use std::process::Command;

/// A build configuration: extra `--cfg` flags, features, and the target dir that keeps its
/// artifacts apart from the others, so builds don't thrash.
#[derive(Clone, Copy, Debug)]
pub struct Build {
    /// Name shown in progress lines.
    pub name: &'static str,
    /// Value for RUSTFLAGS (empty for the std build).
    pub rustflags: &'static str,
    /// Extra cargo arguments (features).
    pub extra: &'static [&'static str],
    /// Sub-directory of `target/`, or `None` for `target/` itself.
    pub target_subdir: Option<&'static str>,
}

/// The default build (stress rows, std tests).
pub const STD: Build = Build {
    name: "std",
    rustflags: "",
    extra: &[],
    target_subdir: None,
};

/// The loom build.
pub const LOOM: Build = Build {
    name: "loom",
    rustflags: "--cfg loom",
    extra: &[],
    target_subdir: Some("loom"),
};

/// loom with crossbeam-epoch built on loom too (the epoch rows).
pub const CROSSBEAM_LOOM: Build = Build {
    name: "crossbeam_loom",
    rustflags: "--cfg loom --cfg crossbeam_loom",
    extra: &["--features", "swan-credstore-models/crossbeam-loom"],
    target_subdir: Some("crossbeam_loom"),
};

/// The shuttle build.
pub const SHUTTLE: Build = Build {
    name: "shuttle",
    rustflags: "--cfg shuttle",
    extra: &[],
    target_subdir: Some("shuttle"),
};

/// The workspace root (the parent of this crate's manifest dir).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A `cargo` command for `build`, run from the workspace root. The build's extra
/// arguments go right after the subcommand (`args[0]`), before any `--`.
pub fn cargo(build: Build, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    if let Some((sub, rest)) = args.split_first() {
        cmd.arg(sub);
        let dash = rest.iter().position(|a| *a == "--").unwrap_or(rest.len());
        cmd.args(&rest[..dash])
            .args(build.extra)
            .args(&rest[dash..]);
    }
    cmd.env("RUSTFLAGS", build.rustflags);
    cmd.env_remove("CARGO_ENCODED_RUSTFLAGS");
    if let Some(sub) = build.target_subdir {
        cmd.env("CARGO_TARGET_DIR", root().join("target").join(sub));
    } else {
        cmd.env_remove("CARGO_TARGET_DIR");
    }
    cmd
}
