package mutations

import (
	"fmt"
	"maps"
	"sort"

	"github.com/graphql-go/graphql"
)

// Fragment is what an auth API adds to a schema: query fields and mutation
// fields (their types come along, reachable from the fields).
type Fragment struct {
	Query    graphql.Fields
	Mutation graphql.Fields

	authOps map[string]string
}

// AuthOperations lists the fragment's operations as
// middleware.OperationLimits.AuthOperations takes them: "Type.field" (the
// root type and the field name) to the operation's kind, so that a request
// may run only so many logins, refreshes, verifications or revocations,
// whatever its aliases. The map is the caller's to keep.
func (f *Fragment) AuthOperations() map[string]string {
	return maps.Clone(f.authOps)
}

// MergeInto adds the fragment's fields to an application's root Query and
// Mutation fields. It refuses, changing nothing, if any name is taken.
func (f *Fragment) MergeInto(query, mutation graphql.Fields) error {
	if len(f.Query) > 0 && query == nil {
		return fmt.Errorf("mutations: the fragment has query fields (%s) but no Query fields were given", names(f.Query))
	}
	if len(f.Mutation) > 0 && mutation == nil {
		return fmt.Errorf("mutations: the fragment has mutation fields (%s) but no Mutation fields were given", names(f.Mutation))
	}
	if err := checkCollisions("Query", query, f.Query); err != nil {
		return err
	}
	if err := checkCollisions("Mutation", mutation, f.Mutation); err != nil {
		return err
	}
	copyFields(query, f.Query)
	copyFields(mutation, f.Mutation)
	return nil
}

// MergeObject adds fields to the root type configuration cfg (whose Fields
// must be graphql.Fields or nil), refusing a name that is taken.
func MergeObject(cfg *graphql.ObjectConfig, fields graphql.Fields) error {
	var dst graphql.Fields
	switch f := cfg.Fields.(type) {
	case nil:
		dst = graphql.Fields{}
	case graphql.Fields:
		dst = f
	default:
		return fmt.Errorf("mutations: %s: Fields is a %T; merge into graphql.Fields", cfg.Name, cfg.Fields)
	}
	if err := checkCollisions(cfg.Name, dst, fields); err != nil {
		return err
	}
	copyFields(dst, fields)
	cfg.Fields = dst
	return nil
}

// Merge adds src to dst, refusing a name that is taken in dst.
func Merge(dst, src graphql.Fields) error {
	if err := checkCollisions("", dst, src); err != nil {
		return err
	}
	copyFields(dst, src)
	return nil
}

func checkCollisions(typeName string, dst, src graphql.Fields) error {
	var taken []string
	for name := range src {
		if _, ok := dst[name]; ok {
			taken = append(taken, name)
		}
	}
	if len(taken) == 0 {
		return nil
	}
	sort.Strings(taken)
	where := "the schema"
	if typeName != "" {
		where = typeName
	}
	return fmt.Errorf("mutations: %s already has field(s) %q; rename the application's field or pick another preset", where, taken)
}

func copyFields(dst, src graphql.Fields) {
	for name, f := range src {
		dst[name] = f
	}
}

func names(f graphql.Fields) string {
	out := make([]string, 0, len(f))
	for n := range f {
		out = append(out, n)
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}
