package streams

// validName reports whether s is a valid stream or consumer name:
// 1 to Config.MaxNameLength characters of [a-zA-Z0-9_.-].
func (c *Core) validName(s string) bool {
	if len(s) == 0 || len(s) > c.cfg.MaxNameLength {
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
