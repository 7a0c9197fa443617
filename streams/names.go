package streams

// validName reports whether s is a valid stream or consumer name:
// 1 to Config.MaxNameLength characters of [a-zA-Z0-9_.-], and not "." or
// ".." (which AWS allows, but which are path elements in every URL and
// file path a name ends up in).
func (c *Core) validName(s string) bool {
	if len(s) == 0 || len(s) > c.cfg.MaxNameLength || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
