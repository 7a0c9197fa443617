package webtest

import (
	"context"
	"reflect"
)

// ModelOperations lists the operations of an AWS SDK client (its methods
// of the form Op(ctx, *OpInput, ...)) with their input types.
func ModelOperations(client any) map[string]reflect.Type {
	ops := map[string]reflect.Type{}
	t := reflect.TypeOf(client)
	ctxType := reflect.TypeFor[context.Context]()
	for i := range t.NumMethod() {
		m := t.Method(i)
		if m.Type.NumIn() < 3 || m.Type.In(1) != ctxType {
			continue
		}
		in := m.Type.In(2)
		if in.Kind() == reflect.Pointer && in.Elem().Name() == m.Name+"Input" {
			ops[m.Name] = in.Elem()
		}
	}
	return ops
}
