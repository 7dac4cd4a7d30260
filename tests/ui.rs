//! Every compile error the macro reports, pinned with its message and span (`tests/ui/*.rs`
//! and their `.stderr`), and programs that must compile (`tests/ui/pass/`). The toolchain is
//! pinned (rust-toolchain.toml) because rustc's wording is part of the recorded output.
//! `TRYBUILD=overwrite cargo test --test ui` records new output.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
