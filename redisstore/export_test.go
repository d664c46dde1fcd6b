package redisstore

// SetInFlight makes f run between a read from rueidis and the storing of
// its answer in t's front.
func SetInFlight(t *Tracking, f func()) { t.inFlight = f }

// FrontLen is the number of answers t's front holds.
func FrontLen(t *Tracking) int { return t.frontLen() }

// KeyOf is the revocation entry of id under the Prefix option opt.
func KeyOf(opt Option, id string) string {
	s := Revocations{o: newOptions([]Option{opt})}
	return s.key(id)
}
