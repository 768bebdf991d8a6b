//! Running cargo for a given build configuration.

use std::path::PathBuf;
use std::process::Command;

/// A build configuration: extra `--cfg` flags and the target dir that keeps its
/// artifacts apart from the others, so builds don't thrash.
#[derive(Clone, Copy, Debug)]
pub struct Build {
    /// Value for RUSTFLAGS (empty for the std build).
    pub rustflags: &'static str,
    /// Sub-directory of `target/`, or `None` for `target/` itself.
    pub target_subdir: Option<&'static str>,
}

/// The default build.
pub const STD: Build = Build {
    rustflags: "",
    target_subdir: None,
};

/// The loom build.
pub const LOOM: Build = Build {
    rustflags: "--cfg loom",
    target_subdir: Some("loom"),
};

/// The workspace root (the parent of this crate's manifest dir).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A `cargo` command for `build`, run from the workspace root.
pub fn cargo(build: Build, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root()).args(args);
    cmd.env("RUSTFLAGS", build.rustflags);
    cmd.env_remove("CARGO_ENCODED_RUSTFLAGS");
    if let Some(sub) = build.target_subdir {
        cmd.env("CARGO_TARGET_DIR", root().join("target").join(sub));
    } else {
        cmd.env_remove("CARGO_TARGET_DIR");
    }
    cmd
}
