use assert_cmd::Command;

#[test]
fn a_missing_file_is_an_error() {
    Command::cargo_bin("{{name}}")
        .unwrap()
        .arg("does-not-exist")
        .assert()
        .failure()
        .stderr(predicates::str::contains("cannot read"));
}
