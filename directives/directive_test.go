package directives_test

import (
	"errors"
	"testing"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/directives"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
)

func TestDirectives(t *testing.T) {
	ds := directives.Directives()
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	if len(ds) != len(graphql.SpecifiedDirectives)+1 || ds[len(ds)-1] != directives.Auth {
		t.Fatalf("Directives() = %v, want the specified ones and auth", names)
	}
	ds[0] = nil
	if directives.Directives()[0] == nil || graphql.SpecifiedDirectives[0] == nil {
		t.Error("Directives() shares its slice")
	}
	a := directives.Auth
	if a.Name != "auth" || len(a.Locations) != 2 || a.Locations[0] != graphql.DirectiveLocationFieldDefinition || a.Locations[1] != graphql.DirectiveLocationObject {
		t.Errorf("Auth = %s on %v", a.Name, a.Locations)
	}
	for i, want := range []string{"policy", "requires", "scopes"} {
		if a.Args[i].Name() != want {
			t.Errorf("argument %d is %s, want %s", i, a.Args[i].Name(), want)
		}
	}
}

func TestFormatErrorFnWithDo(t *testing.T) {
	b := newBlog()
	schema := b.schema(t)
	if err := directives.Apply(&schema, blogRules()); err != nil {
		t.Fatal(err)
	}
	var seen []*gqljwt.Error
	format := directives.FormatErrorFn(func(e *gqljwt.Error, f gqlerrors.FormattedError) gqlerrors.FormattedError {
		seen = append(seen, e)
		f.Extensions["app"] = "blog"
		return f
	})
	res := run(schema, reader, `{ drafts { id } }`)
	for i, e := range res.Errors {
		res.Errors[i] = format(e)
	}
	if len(seen) != 1 || seen[0].Code != gqljwt.CodeForbidden {
		t.Fatalf("hook saw %v", seen)
	}
	f := res.Errors[0]
	if f.Message != gqljwt.ErrForbidden.Message || f.Extensions["code"] != "FORBIDDEN" || f.Extensions["app"] != "blog" ||
		len(f.Path) != 1 || len(f.Locations) != 1 {
		t.Errorf("formatted %+v", f)
	}
	if oe, ok := f.OriginalError().(*gqlerrors.Error); !ok || oe.OriginalError != error(seen[0]) {
		t.Errorf("original error lost: %#v", f.OriginalError())
	}
}

func TestFormatErrorFnPassesOthersThrough(t *testing.T) {
	called := false
	format := directives.FormatErrorFn(func(_ *gqljwt.Error, f gqlerrors.FormattedError) gqlerrors.FormattedError {
		called = true
		return f
	})
	plain := errors.New("plain")
	if f := format(plain); f.Message != "plain" || len(f.Locations) != 0 || f.Locations == nil {
		t.Errorf("plain error formatted as %+v", f)
	}
	// Wrapped, graphql-go would send no extensions: the hook stays out.
	if f := format(&gqlerrors.Error{Message: "x", OriginalError: errors.Join(gqljwt.ErrForbidden)}); f.Extensions != nil {
		t.Errorf("wrapped error formatted as %+v", f)
	}
	if f := format(nil); f.Locations == nil {
		t.Errorf("nil formatted as %+v", f)
	}
	if called {
		t.Error("hook called for an error that is not gqljwt's")
	}
	if f := directives.FormatErrorFn(nil)(gqljwt.ErrForbidden); f.Message != gqljwt.ErrForbidden.Message {
		t.Errorf("nil hook: %+v", f)
	}
}
