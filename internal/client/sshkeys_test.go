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

func TestAddSSHKeyReadsTheIDFromTheAnswer(t *testing.T) {
	for body, wantID := range map[string]string{
		`{"message":"added","key_id":"k-1"}`:                    "k-1",
		`{"message":"added","id":7}`:                            "7",
		`{"ssh_key_id":"k-3"}`:                                  "k-3",
		`{"message":"added","ssh_key":{"id":"k-4","name":"n"}}`: "k-4",
	} {
		c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
			"POST /user/ssh-key/add": {jsonReply(http.StatusOK, body)},
		})
		key, err := c.AddSSHKey(context.Background(), testPublicKey, ptr("laptop"))
		if err != nil || key.ID != wantID {
			t.Errorf("%s: got %+v, %v; want id %s", body, key, err, wantID)
			continue
		}
		got := srv.requests()
		if len(got) != 1 {
			t.Errorf("%s: %d requests, want only the add (no list needed)", body, len(got))
		}
		if !reflect.DeepEqual(got[0].Body, map[string]any{"public_key": testPublicKey, "name": "laptop"}) {
			t.Errorf("add body = %v", got[0].Body)
		}
	}
}

func TestAddSSHKeyFallsBackToTheList(t *testing.T) {
	list := `{"message":"2 keys","ssh_keys":[` +
		`{"key_id":"k-other","name":"o","public_key":"` + otherPublicKey + `"},` +
		`{"key_id":"k-mine","name":"laptop","public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOurKey   renamed-by-engine","created_at":"2026-01-01T00:00:00Z"}]}`
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
		"GET /user/ssh-key/list": {jsonReply(http.StatusOK, list)},
	})
	key, err := c.AddSSHKey(context.Background(), testPublicKey, nil)
	if err != nil || key.ID != "k-mine" || key.CreatedAt == nil || key.Name == nil || *key.Name != "laptop" {
		t.Fatalf("got %+v, %v; want k-mine from the list", key, err)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("requests = %d, want the add then the list", n)
	}
}

func TestAddSSHKeyWithoutAnIdentifiableKeyIsATypedError(t *testing.T) {
	twice := `{"ssh_keys":[{"key_id":"k-1","name":"a","public_key":"` + testPublicKey + `"},{"key_id":"k-2","name":"b","public_key":"` + testPublicKey + `"}]}`
	cases := map[string]struct {
		list   func(http.ResponseWriter)
		reason string
	}{
		"not listed":       {jsonReply(http.StatusOK, `{"ssh_keys":[{"key_id":"k-1","public_key":"`+otherPublicKey+`"}]}`), "not in"},
		"listed twice":     {jsonReply(http.StatusOK, twice), "2 keys"},
		"list unreadable":  {jsonReply(http.StatusOK, `{"message":"you have 3 keys"}`), "could not be read"},
		"list fails (403)": {jsonReply(http.StatusForbidden, `{"message":"no"}`), "could not be read"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
				"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
				"GET /user/ssh-key/list": {tc.list},
			})
			_, err := c.AddSSHKey(context.Background(), testPublicKey, nil)
			var missing *MissingIDError
			if !errors.As(err, &missing) {
				t.Fatalf("want *MissingIDError, got %T %v", err, err)
			}
			for _, want := range []string{tc.reason, "may have created", "tp ssh-key list"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q: %v", want, err)
				}
			}
			if n := len(srv.requests()); n != 2 {
				t.Errorf("requests = %d, want 2 (the add is not retried)", n)
			}
		})
	}
	t.Run("listed twice, told apart by name", func(t *testing.T) {
		c, _ := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
			"POST /user/ssh-key/add": {jsonReply(http.StatusOK, `{"message":"SSH key added"}`)},
			"GET /user/ssh-key/list": {jsonReply(http.StatusOK, twice)},
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
