package client

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	testPublicKey  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOurKey me@laptop"
	otherPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKey other"
)

// emptyKeyList is the list an add reads first, before it sends anything.
var emptyKeyList = jsonReply(http.StatusOK, `{"ssh_keys":[]}`)

func TestAddSSHKeyReadsTheIDFromTheAnswer(t *testing.T) {
	for body, wantID := range map[string]string{
		`{"message":"added","key_id":"k-1"}`:                    "k-1",
		`{"message":"added","id":7}`:                            "7",
		`{"ssh_key_id":"k-3"}`:                                  "k-3",
		`{"message":"added","ssh_key":{"id":"k-4","name":"n"}}`: "k-4",
	} {
		c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
			"GET /user/ssh-key/list": {emptyKeyList},
			"POST /user/ssh-key/add": {jsonReply(http.StatusOK, body)},
		})
		key, err := c.AddSSHKey(context.Background(), testPublicKey, ptr("laptop"))
		if err != nil || key.ID != wantID {
			t.Errorf("%s: got %+v, %v; want id %s", body, key, err, wantID)
			continue
		}
		got := srv.requests()
		if len(got) != 2 || got[0].Method != http.MethodGet {
			t.Errorf("%s: requests %v, want the list, then only the add", body, got)
			continue
		}
		if !reflect.DeepEqual(got[1].Body, map[string]any{"public_key": testPublicKey, "name": "laptop"}) {
			t.Errorf("add body = %v", got[1].Body)
		}
	}
}

func TestAddSSHKeyFallsBackToTheList(t *testing.T) {
	other := `{"key_id":"k-other","name":"o","public_key":"` + otherPublicKey + `"}`
	// A copy of the same key saved before is someone else's: not ours.
	older := `{"key_id":"k-older","name":"laptop","public_key":"` + testPublicKey + `"}`
	list := `{"message":"3 keys","ssh_keys":[` + other + `,` + older + `,` +
		`{"key_id":"k-mine","name":"laptop","public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOurKey   renamed-by-engine","created_at":"2026-01-01T00:00:00Z"}]}`
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"GET /user/ssh-key/list": {jsonReply(http.StatusOK, `{"ssh_keys":[`+other+`,`+older+`]}`), jsonReply(http.StatusOK, list)},
		"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
	})
	key, err := c.AddSSHKey(context.Background(), testPublicKey, ptr("laptop"))
	if err != nil || key.ID != "k-mine" || key.CreatedAt == nil || key.Name == nil || *key.Name != "laptop" {
		t.Fatalf("got %+v, %v; want k-mine from the list", key, err)
	}
	if n := len(srv.requests()); n != 3 {
		t.Errorf("requests = %d, want the list, the add, then the list", n)
	}
}

// TestAddSSHKeyToAnEngineThatListsKeysAsTextSavesNothing: the official CLI
// reads only a message from the key list; an engine that sends nothing
// else gets no add, and the error quotes its list.
func TestAddSSHKeyToAnEngineThatListsKeysAsTextSavesNothing(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"GET /user/ssh-key/list": {jsonReply(http.StatusOK, `{"message":"key-1  laptop  ssh-ed25519 …AAAA"}`)},
		"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
	})
	_, err := c.AddSSHKey(context.Background(), testPublicKey, nil)
	var notAdded *KeyNotAddedError
	var text *KeyListTextError
	if !errors.As(err, &notAdded) || !errors.As(err, &text) || text.Message != "key-1  laptop  ssh-ed25519 …AAAA" {
		t.Fatalf("want *KeyNotAddedError wrapping *KeyListTextError with the list's text, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "key-1  laptop") {
		t.Errorf("the error does not quote the list: %v", err)
	}
	if got := srv.requests(); len(got) != 1 || got[0].Method != http.MethodGet {
		t.Errorf("requests %v, want only the list (nothing saved)", got)
	}
}

func TestAddSSHKeyWithoutAnIdentifiableKeyIsATypedError(t *testing.T) {
	twice := `{"ssh_keys":[{"key_id":"k-1","name":"a","public_key":"` + testPublicKey + `"},{"key_id":"k-2","name":"b","public_key":"` + testPublicKey + `"}]}`
	cases := map[string]struct {
		list   func(http.ResponseWriter)
		reason string
	}{
		"not listed":          {jsonReply(http.StatusOK, `{"ssh_keys":[{"key_id":"k-1","public_key":"`+otherPublicKey+`"}]}`), "no new key"},
		"listed twice":        {jsonReply(http.StatusOK, twice), "2 new keys in /user/ssh-key/list have this public key: k-1, k-2"},
		"list turned to text": {jsonReply(http.StatusOK, `{"message":"you have 3 keys"}`), `: the TensorPool engine lists SSH keys only as text (GET /user/ssh-key/list, HTTP 200, without an ` + "`ssh_keys`" + ` list of key ids): "you have 3 keys"`},
		"list fails (403)":    {jsonReply(http.StatusForbidden, `{"message":"no"}`), "could not be read"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
				"GET /user/ssh-key/list": {emptyKeyList, tc.list},
				"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
			})
			_, err := c.AddSSHKey(context.Background(), testPublicKey, nil)
			var missing *MissingIDError
			if !errors.As(err, &missing) {
				t.Fatalf("want *MissingIDError, got %T %v", err, err)
			}
			for _, want := range []string{tc.reason, "may have created", "tp me sshkey list"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q: %v", want, err)
				}
			}
			if n := changesSent(srv); n != 1 {
				t.Errorf("adds sent = %d, want 1 (the add is not retried)", n)
			}
		})
	}
	t.Run("listed twice, told apart by name", func(t *testing.T) {
		c, _ := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
			"GET /user/ssh-key/list": {emptyKeyList, jsonReply(http.StatusOK, twice)},
			"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
		})
		key, err := c.AddSSHKey(context.Background(), testPublicKey, ptr("b"))
		if err != nil || key.ID != "k-2" {
			t.Errorf("got %+v, %v; want k-2", key, err)
		}
	})
}

func TestListGetAndRemoveSSHKeys(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"GET /user/ssh-key/list": {
			jsonReply(http.StatusOK, `{"ssh_keys":[{"key_id":"k-1","name":null,"public_key":"`+testPublicKey+`"},{"name":"no id"},"junk",{"id":2}]}`),
		},
		"DELETE /user/ssh-key/remove/k-1":    {jsonReply(http.StatusServiceUnavailable, `{"message":"down"}`), jsonReply(http.StatusOK, `{"message":"removed"}`)},
		"DELETE /user/ssh-key/remove/k-gone": {jsonReply(http.StatusNotFound, `{"message":"SSH key not found"}`)},
	})
	ctx := context.Background()
	keys, err := c.ListSSHKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != "k-1" || keys[0].Name != nil || keys[1].ID != "2" {
		t.Fatalf("list: %+v, %v", keys, err)
	}
	key, err := c.GetSSHKey(ctx, "k-1")
	if err != nil || key.PublicKey == nil || *key.PublicKey != testPublicKey {
		t.Errorf("get: %+v, %v", key, err)
	}
	_, err = c.GetSSHKey(ctx, "k-absent")
	var notFound *NotFoundError
	if !errors.As(err, &notFound) || !IsNotFound(err) || !strings.Contains(err.Error(), "k-absent") {
		t.Errorf("absent key: want *NotFoundError recognised by IsNotFound, got %v", err)
	}
	if err := c.RemoveSSHKey(ctx, "k-1"); err != nil {
		t.Errorf("remove (retried once after a 503): %v", err)
	}
	if err := c.RemoveSSHKey(ctx, "k-gone"); !IsNotFound(err) {
		t.Errorf("remove unknown: %v", err)
	}
	if n := len(srv.requests()); n != 6 {
		t.Errorf("requests = %d, want 6", n)
	}
}

func TestDecodeSSHKeyListShapes(t *testing.T) {
	for body, want := range map[string][]string{
		`[{"key_id":"k-1"},{"id":"k-2"}]`:         {"k-1", "k-2"},
		`{"keys":[{"ssh_key_id":"k-3"}]}`:         {"k-3"},
		`{"ssh_keys":[],"message":"no keys yet"}`: {},
	} {
		keys, err := DecodeSSHKeyList([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		ids := []string{}
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		if !reflect.DeepEqual(ids, want) {
			t.Errorf("%s: ids %v, want %v", body, ids, want)
		}
	}
	for _, body := range []string{`{"message":"3 keys"}`, `{"ssh_keys":null}`, `{"ssh_keys":"k-1"}`, `<html>`, `"x"`, `null`} {
		if _, err := DecodeSSHKeyList([]byte(body)); err == nil {
			t.Errorf("%s: want an error (no key list)", body)
		}
	}
}

// changesSent counts the requests that were not reads.
func changesSent(srv *routeServer) int {
	n := 0
	for _, r := range srv.requests() {
		if r.Method != http.MethodGet {
			n++
		}
	}
	return n
}

// TestTheListBeforeAnAddRidesOutAnOutage: the key list an add reads first
// rides out an outage longer than the client's own retries, as the add
// itself would (the fault matrix's 5xx burst on a key create).
func TestTheListBeforeAnAddRidesOutAnOutage(t *testing.T) {
	down := jsonReply(http.StatusServiceUnavailable, `{"message":"Service unavailable"}`)
	c, srv := newRouteClient(t, Config{Clock: runningClock(t), MaxRetries: 1}, map[string][]func(http.ResponseWriter){
		"GET /user/ssh-key/list": {down, down, down, down, down, down, emptyKeyList},
		"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"key_id":"k-9","message":"SSH key added"}`)},
	})
	key, err := c.AddSSHKey(context.Background(), testPublicKey, nil)
	if err != nil || key.ID != "k-9" {
		t.Fatalf("got %+v, %v; want k-9 once the engine answers", key, err)
	}
	if n := srv.served["GET /user/ssh-key/list"]; n != 7 {
		t.Errorf("the list was read %d times, want 7 (six outages, then the answer)", n)
	}
	if n := changesSent(srv); n != 1 {
		t.Errorf("adds sent = %d, want 1", n)
	}
}
