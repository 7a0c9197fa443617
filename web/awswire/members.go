package awswire

import "reflect"

// Members are string members of an input struct type, found by name: the
// members that name resources, read from the decoded input to authorize
// exactly what is served.
type Members []member

type member struct {
	name  string
	index int
}

// FindMembers finds the top-level members of struct type t with these
// names. A member that is not a string or *string panics: it is a bug in
// the caller's table, found when the table is built.
func FindMembers(t reflect.Type, names ...string) Members {
	var ms Members
	for _, n := range names {
		f, ok := t.FieldByName(n)
		if !ok || len(f.Index) != 1 {
			continue
		}
		k := f.Type.Kind()
		if k != reflect.String && !(k == reflect.Pointer && f.Type.Elem().Kind() == reflect.String) {
			panic("awswire: member " + t.Name() + "." + n + " is not a string")
		}
		ms = append(ms, member{name: n, index: f.Index[0]})
	}
	return ms
}

// Each calls fn with the name and value of every member set (not nil, not
// empty) in v, a struct of the type the Members were found in.
func (ms Members) Each(v reflect.Value, fn func(name, value string)) {
	for _, m := range ms {
		f := v.Field(m.index)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		if s := f.String(); s != "" {
			fn(m.name, s)
		}
	}
}
