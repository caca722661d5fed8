package provider

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const (
	objectStorageAddr = "tensorpool_object_storage.this"
	bucketAddr        = "tensorpool_bucket.data"
	bucketName        = "training-data"
)

// objectStorageConfig renders the organization's object storage and, with
// bucket, one bucket that depends on it.
func (e *accEnv) objectStorageConfig(bucket bool) string {
	config := e.providerBlock() + "\nresource \"tensorpool_object_storage\" \"this\" {}\n"
	if bucket {
		config += fmt.Sprintf("\nresource \"tensorpool_bucket\" \"data\" {\n  name       = %q\n  depends_on = [tensorpool_object_storage.this]\n}\n", bucketName)
	}
	return config
}

// engineBuckets is the names of the test user's buckets; nil when object
// storage is not enabled.
func (e *accEnv) engineBuckets() []string {
	store, ok := e.engine().ObjectStorage(accKey)
	if !ok {
		return nil
	}
	names := []string{}
	for _, b := range store.Buckets {
		names = append(names, b.Name)
	}
	return names
}

// checkBuckets checks the engine's buckets of the user.
func (e *accEnv) checkBuckets(want ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := e.engineBuckets()
		if got == nil {
			return errors.New("the engine has no object storage for the user")
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("the engine has buckets %v, want %v", got, want)
		}
		return nil
	}
}

// checkNoSecretInState fails when the secret access key the engine holds is
// anywhere in the state.
func (e *accEnv) checkNoSecretInState(s *terraform.State) error {
	secret := e.engine().ObjectStorageSecret(accKey)
	if secret == "" {
		return errors.New("the engine has no object storage secret to look for")
	}
	for addr, rs := range s.RootModule().Resources {
		for name, value := range rs.Primary.Attributes {
			if strings.Contains(value, secret) {
				return fmt.Errorf("%s.%s holds the secret access key", addr, name)
			}
		}
	}
	return nil
}

// checkObjectStorageDisabled is a CheckDestroy: destroy disabled the
// organization's object storage.
func (e *accEnv) checkObjectStorageDisabled(*terraform.State) error {
	if store, ok := e.engine().ObjectStorage(accKey); ok {
		return fmt.Errorf("object storage is still enabled after destroy, with buckets %v", store.Buckets)
	}
	return nil
}

// TestAccObjectStorageAndBucket: apply enables the organization's object
// storage and creates the bucket (the engine has both; the state has the
// endpoint and no secret key), both import (by "organization" and by the
// bucket's name) to the same state, and destroy deletes the bucket before
// disabling the storage.
func TestAccObjectStorageAndBucket(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		CheckDestroy: env.checkObjectStorageDisabled,
		Steps: []resource.TestStep{
			{
				Config: env.objectStorageConfig(true),
				Check:  resource.ComposeTestCheckFunc(env.checkBuckets(bucketName), env.checkNoSecretInState),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(objectStorageAddr, tfjsonpath.New("id"), knownvalue.StringExact("organization")),
					statecheck.ExpectKnownValue(objectStorageAddr, tfjsonpath.New("endpoint"), knownvalue.StringRegexp(regexp.MustCompile(`^https://`))),
					statecheck.ExpectKnownValue(bucketAddr, tfjsonpath.New("id"), knownvalue.StringExact(bucketName)),
					statecheck.ExpectKnownValue(bucketAddr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
				},
			},
			{Config: env.objectStorageConfig(true), PlanOnly: true},
			{ResourceName: bucketAddr, ImportState: true, ImportStateId: bucketName, ImportStateVerify: true},
			{ResourceName: objectStorageAddr, ImportState: true, ImportStateId: "organization", ImportStateVerify: true},
			{ResourceName: objectStorageAddr, ImportState: true, ImportStateId: "org-1", ExpectError: wrapped("is not", "organization")},
		},
	})
}

// TestAccBucket_lostAnswers: the engine makes each change but its answer
// is lost (the enable's connection drops, the bucket create and delete and
// the disable answer 500): the provider settles each by reading (the
// credentials, the bucket list), so every apply and destroy succeeds and
// each change was sent once.
func TestAccBucket_lostAnswers(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	sent := func(route string, want int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := env.engine().Stats()[route]; got != want {
				return fmt.Errorf("%s was sent %d times, want %d", route, got, want)
			}
			return nil
		}
	}
	env.run(t, resource.TestCase{
		CheckDestroy: func(s *terraform.State) error {
			return errors.Join(env.checkObjectStorageDisabled(s), sent("DELETE /object-storage/bucket/delete", 1)(s),
				sent("DELETE /object-storage/disable", 1)(s), faultsUsed(env)(s))
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() { env.engine().SetFaults(sim.Faults{DropAfterChange: 1}) },
				Config:    env.objectStorageConfig(false),
				Check:     resource.ComposeTestCheckFunc(env.checkBuckets(), sent("POST /object-storage/enable", 1), faultsUsed(env)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(objectStorageAddr, tfjsonpath.New("endpoint"), knownvalue.StringRegexp(regexp.MustCompile(`^https://`))),
				},
			},
			{
				PreConfig: func() { env.engine().SetFaults(sim.Faults{FailAfterChange: 1}) },
				Config:    env.objectStorageConfig(true),
				Check:     resource.ComposeTestCheckFunc(env.checkBuckets(bucketName), sent("PUT /object-storage/bucket/create", 1), faultsUsed(env)),
			},
			{
				// The bucket alone is destroyed, its answer lost.
				PreConfig: func() { env.engine().SetFaults(sim.Faults{FailAfterChange: 1}) },
				Config:    env.objectStorageConfig(false),
				Check:     resource.ComposeTestCheckFunc(env.checkBuckets(), faultsUsed(env)),
			},
			{
				// Then the storage is disabled, its answer lost too.
				PreConfig: func() { env.engine().SetFaults(sim.Faults{FailAfterChange: 1}) },
				Config:    env.objectStorageConfig(false),
				Destroy:   true,
			},
		},
	})
}

// faultsUsed checks that the step's lost answer happened: a fault left
// unused would make the step prove nothing.
func faultsUsed(env *accEnv) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if f := env.engine().Faults(); f.DropAfterChange != 0 || f.FailAfterChange != 0 {
			return fmt.Errorf("the injected fault was not used: %+v", f)
		}
		return nil
	}
}

// TestAccBucket_notEmpty: destroying a bucket that holds objects fails
// with the engine's answer, says that only empty buckets are deleted and
// how to empty it, and keeps the bucket in the state; object storage is
// not disabled under it. Once emptied, destroy deletes both.
func TestAccBucket_notEmpty(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		CheckDestroy: env.checkObjectStorageDisabled,
		Steps: []resource.TestStep{
			{Config: env.objectStorageConfig(true), Check: env.checkBuckets(bucketName)},
			{
				PreConfig: func() {
					if err := env.engine().SetBucketObjects(accKey, bucketName, 3); err != nil {
						t.Fatal(err)
					}
				},
				Config:  env.objectStorageConfig(true),
				Destroy: true,
				ExpectError: wrapped("The engine refused to delete the bucket", "409", "not empty", "deletes only empty buckets",
					"aws s3 rm s3://"+bucketName+" --recursive", "stays in the state"),
			},
			{
				Config: env.objectStorageConfig(true),
				Check:  env.checkBuckets(bucketName),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(bucketAddr, plancheck.ResourceActionNoop),
				}},
			},
			{
				PreConfig: func() {
					if err := env.engine().SetBucketObjects(accKey, bucketName, 0); err != nil {
						t.Fatal(err)
					}
				},
				Config: env.objectStorageConfig(true),
			},
		},
	})
}

// TestAccBucket_takenOverNever: a bucket (and object storage) made outside
// Terraform is not taken over: the create fails saying to import it, and
// an import block brings it in; a bucket deleted outside Terraform leaves the
// state with a warning and the next plan creates it again; a bad name is a
// plan-time error naming the attribute.
func TestAccBucket_takenOverNever(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	if err := env.engine().AddBucket(accKey, bucketName, 0); err != nil {
		t.Fatal(err)
	}
	bucketOnly := env.providerBlock() + fmt.Sprintf("\nresource \"tensorpool_bucket\" \"data\" {\n  name = %q\n}\n", bucketName)
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: strings.Replace(bucketOnly, bucketName, "Bad_Name", 1), PlanOnly: true,
				ExpectError: wrapped("Invalid bucket name", `name = "Bad_Name"`, "3 to 63 characters", `Write name as, for example, "training-data"`),
			},
			{Config: env.objectStorageConfig(false), ExpectError: wrapped("Object storage is already enabled", "terraform import tensorpool_object_storage.NAME organization")},
			{Config: bucketOnly, ExpectError: wrapped("The bucket already exists", "terraform import tensorpool_bucket.NAME "+bucketName)},
			{
				Config: bucketOnly + fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", bucketAddr, bucketName),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(bucketAddr, plancheck.ResourceActionNoop),
				}},
			},
			{Config: bucketOnly, PlanOnly: true},
			{
				PreConfig: func() {
					if err := env.engine().RemoveBucket(accKey, bucketName); err != nil {
						t.Fatal(err)
					}
				},
				Config: bucketOnly,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(bucketAddr, plancheck.ResourceActionCreate),
				}},
				Check: env.checkBuckets(bucketName),
			},
		},
	})
	if got := env.engineBuckets(); len(got) != 0 {
		t.Errorf("the engine still has buckets %v after destroy", got)
	}
}
