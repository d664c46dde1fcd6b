package middleware

// DocumentOf exposes documentOf to the black-box tests.
var DocumentOf = documentOf
