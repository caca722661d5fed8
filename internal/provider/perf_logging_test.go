package provider

import (
	"maps"
	"os"
	"testing"
)

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// TestTerraformProviderLogLevel: the level follows Terraform's rule for
// provider logs (checked against Terraform 1.5.7 by the bench package's
// TestLogLinesAtTheRequestedLevelAreAllThere): TF_LOG_PROVIDER, else TF_LOG;
// none is OFF; JSON and unknown values are TRACE.
func TestTerraformProviderLogLevel(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "OFF"},
		{map[string]string{"TF_LOG": ""}, "OFF"},
		{map[string]string{"TF_LOG": "debug"}, "DEBUG"},
		{map[string]string{"TF_LOG": "TRACE"}, "TRACE"},
		{map[string]string{"TF_LOG": "JSON"}, "TRACE"},
		{map[string]string{"TF_LOG": "verbose"}, "TRACE"},
		{map[string]string{"TF_LOG": "TRACE", "TF_LOG_PROVIDER": "warn"}, "WARN"},
		{map[string]string{"TF_LOG": "ERROR", "TF_LOG_PROVIDER": "DEBUG"}, "DEBUG"},
		{map[string]string{"TF_LOG_PROVIDER": "INFO"}, "INFO"},
		{map[string]string{"TF_LOG_CORE": "TRACE"}, "OFF"}, // core lines only
		{map[string]string{"TF_LOG_PATH": "/tmp/x.log"}, "OFF"},
	}
	for _, c := range cases {
		if got := TerraformProviderLogLevel(lookupIn(c.env)); got != c.want {
			t.Errorf("%v: level %s, want %s", c.env, got, c.want)
		}
	}
}

// TestSDKLogLevels: with no level requested every SDK, framework and
// provider logger is turned off; at TRACE nothing changes; a variable the
// user set is kept.
func TestSDKLogLevels(t *testing.T) {
	all := func(level string) map[string]string {
		return map[string]string{"TF_LOG_SDK": level, "TF_LOG_SDK_PROTO": level, "TF_LOG_SDK_FRAMEWORK": level, "TF_LOG_PROVIDER_TENSORPOOL": level}
	}
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"nothing requested", map[string]string{}, all("OFF")},
		{"TF_LOG=TRACE", map[string]string{"TF_LOG": "TRACE"}, nil},
		{"TF_LOG=JSON", map[string]string{"TF_LOG": "JSON"}, nil},
		{"TF_LOG_PROVIDER=TRACE", map[string]string{"TF_LOG_PROVIDER": "TRACE"}, nil},
		{"TF_LOG=DEBUG", map[string]string{"TF_LOG": "DEBUG"}, all("DEBUG")},
		{"user's own framework level kept", map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_PROVIDER_TENSORPOOL": "OFF"}},
		{"an empty variable counts as unset", map[string]string{"TF_LOG_SDK": " "}, all("OFF")},
	}
	for _, c := range cases {
		got := SDKLogLevels(lookupIn(c.env))
		if !maps.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestMatchSDKLogLevelsToTerraformSetsTheEnvironment: the levels reach the
// process environment, where terraform-plugin-go reads them.
func TestMatchSDKLogLevelsToTerraformSetsTheEnvironment(t *testing.T) {
	for _, k := range append([]string{"TF_LOG", "TF_LOG_PROVIDER"}, sdkLogLevelVars...) {
		t.Setenv(k, "")
	}
	t.Setenv("TF_LOG", "INFO")
	t.Setenv("TF_LOG_SDK_PROTO", "ERROR")
	if err := MatchSDKLogLevelsToTerraform(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"TF_LOG_SDK": "INFO", "TF_LOG_SDK_PROTO": "ERROR", "TF_LOG_SDK_FRAMEWORK": "INFO", "TF_LOG_PROVIDER_TENSORPOOL": "INFO"}
	for k, v := range want {
		if got := getenv(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func getenv(k string) string {
	v, _ := os.LookupEnv(k)
	return v
}
