// kstatus-check prints kstatus's verdict on one Kubernetes object, read as JSON from stdin, as
// {"status":"Current","message":"..."}.
//
// kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status) is how Flux's health checks and
// `wait: true`, kpt and other deploy tools decide whether a custom resource has converged. The
// tests run the library itself rather than a re-implementation of its rules, so that a change
// in the operator's conditions that those tools would misread fails a test.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	// Unstructured's own decoder, so numbers become int64 as they do in a client's cache;
	// kstatus reads metadata.generation and status.observedGeneration with NestedInt64.
	var obj unstructured.Unstructured
	if err := obj.UnmarshalJSON(data); err != nil {
		fail("decoding the object: %v", err)
	}
	result, err := status.Compute(&obj)
	if err != nil {
		fail("kstatus: %v", err)
	}
	out, _ := json.Marshal(map[string]string{"status": string(result.Status), "message": result.Message})
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus-check: "+format+"\n", args...)
	os.Exit(1)
}
