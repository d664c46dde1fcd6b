package gqljwt_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gqljwt/gqljwt"
	"github.com/gqljwt/gqljwt/memstore"
)

// TestSettings: the view holds no key or store, and stays true after
// RotateKeys.
func TestSettings(t *testing.T) {
	first := gqljwt.Key{ID: "k1", Secret: []byte(strings.Repeat("a", 32))}
	s := mustService(t, gqljwt.Config{Secret: nil, SigningKey: first, Users: memstore.NewUsers(), AccessTTL: time.Minute})
	st := s.Settings()
	if st.Algorithm != gqljwt.HS256 || st.SigningKeyID != "k1" || !reflect.DeepEqual(st.VerificationKeyIDs, []string{"k1"}) ||
		st.AccessTTL != time.Minute || st.RefreshTTL != gqljwt.DefaultRefreshTTL || !st.HasUsers || st.HasRefresh ||
		!st.HasVersions || st.RefreshReuseGrace != gqljwt.DefaultRefreshReuseGrace {
		t.Errorf("settings: %+v", st)
	}
	second := gqljwt.Key{ID: "k2", Secret: []byte(strings.Repeat("b", 32))}
	if err := s.RotateKeys(second, first); err != nil {
		t.Fatal(err)
	}
	st.VerificationKeyIDs[0] = "changed"
	if st := s.Settings(); st.SigningKeyID != "k2" || !reflect.DeepEqual(st.VerificationKeyIDs, []string{"k2", "k1"}) {
		t.Errorf("after RotateKeys: %q %q", st.SigningKeyID, st.VerificationKeyIDs)
	}
	// No field can hold a key or a store.
	typ := reflect.TypeOf(gqljwt.Settings{})
	for i := range typ.NumField() {
		switch k := typ.Field(i).Type.Kind(); k {
		case reflect.Interface, reflect.Pointer, reflect.Func, reflect.Map:
			t.Errorf("Settings.%s is a %s", typ.Field(i).Name, k)
		case reflect.Slice:
			if typ.Field(i).Type.Elem().Kind() != reflect.String {
				t.Errorf("Settings.%s is a %s", typ.Field(i).Name, typ.Field(i).Type)
			}
		}
	}
}
