package directives

import (
	"errors"
	"slices"

	"github.com/gqljwt/gqljwt"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/location"
)

// FormatErrorFn returns an error formatter for graphql-go/handler's
// Config.FormatErrorFn that lets hook reshape the errors of gqljwt: the
// message, the extensions, anything of the body. hook gets the
// *gqljwt.Error a resolver returned and the error as graphql-go would send
// it, locations, path and extensions filled in; it may change and return
// that value (its Extensions map is its own to modify). Other errors, and
// every error when hook is nil, are formatted as graphql-go does.
//
// One repair comes first, with or without hook: graphql-go formats the
// error of a field's Subscribe (graphql.Subscribe) without extensions,
// locations or path, so a denied subscription would reach clients as a
// bare "Unauthorized". For a *gqljwt.Error the formatter fills in the
// extensions when they are empty, and the locations and path when a guard
// of this package recorded where it refused.
//
// The formatter accepts what handler passes (a *gqlerrors.Error) as well
// as the gqlerrors.FormattedError values of graphql.Result.Errors, so it
// also serves callers of graphql.Do and graphql.Subscribe:
//
//	for i, e := range result.Errors {
//		result.Errors[i] = format(e)
//	}
//
// Only a *gqljwt.Error the resolver returned as is reaches hook: one
// wrapped in another error carries no extensions in graphql-go either.
func FormatErrorFn(hook func(e *gqljwt.Error, f gqlerrors.FormattedError) gqlerrors.FormattedError) func(err error) gqlerrors.FormattedError {
	return func(err error) gqlerrors.FormattedError {
		if err == nil {
			return gqlerrors.FormattedError{Locations: []location.SourceLocation{}}
		}
		f := gqlerrors.FormatError(err)
		e := authError(err)
		if e == nil {
			return f
		}
		restore(&f, e)
		if hook == nil {
			return f
		}
		return hook(e, f)
	}
}

// restore fills in what graphql-go left out of f, the formatted e: the
// extensions, and where the guard that returned e refused. What it adds
// is a copy, so the caller and the hook may modify it.
func restore(f *gqlerrors.FormattedError, e *gqljwt.Error) {
	if len(f.Extensions) == 0 {
		f.Extensions = e.Extensions()
	}
	var l *located
	if !errors.As(e, &l) {
		return
	}
	if len(f.Locations) == 0 && len(l.locations) > 0 {
		f.Locations = slices.Clone(l.locations)
	}
	if len(f.Path) == 0 {
		f.Path = slices.Clone(l.path)
	}
}

// authError finds the error a resolver returned behind graphql-go's
// wrappers; there is at most one level of each, but the loop costs
// nothing and survives a change of nesting.
func authError(err error) *gqljwt.Error {
	for err != nil {
		switch e := err.(type) {
		case *gqljwt.Error:
			return e
		case gqlerrors.FormattedError:
			err = e.OriginalError()
		case *gqlerrors.Error:
			err = e.OriginalError
		case gqlerrors.Error:
			err = e.OriginalError
		default:
			return nil
		}
	}
	return nil
}
