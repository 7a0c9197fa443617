package fs

import (
	"path"
	"strings"
)

// cleanStale removes, below dir, the temporary files of interrupted Puts and
// the directories that are (then) empty, except the root. Symlinks are left
// alone and not followed.
func (b *Bucket) cleanStale(dir string) error {
	d, err := b.root.Open(dir)
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if err := b.cleanStale(name); err != nil {
				return err
			}
			b.root.Remove(name) // fails unless empty
		case e.Type().IsRegular() && isTemp(e.Name()):
			if err := b.root.Remove(name); err != nil && !notExist(err) {
				return err
			}
		}
	}
	return nil
}

func isTemp(name string) bool {
	return strings.HasPrefix(name, tmpPrefix) && strings.HasSuffix(name, tmpSuffix)
}
