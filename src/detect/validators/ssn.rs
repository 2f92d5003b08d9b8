pub fn is_valid(_s: &str) -> bool {
    false
}
