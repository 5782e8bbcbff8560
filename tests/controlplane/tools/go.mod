// Test helpers that judge the operator's objects the way GitOps tools do: kstatus (Flux, kpt,
// cli-utils based deploy tools) and ArgoCD's Lua health checks. Built by ../build.sh beside the
// control-plane binaries. Nothing here is part of the product.
module tripreport-operator/controlplane/tools

go 1.24.0

// sigs.k8s.io/cli-utils v0.37.2 is its latest release; it was built against the Kubernetes 0.30
// libraries, and the k8s.io/apimachinery and k8s.io/api pins lift it to the 1.34 line the
// control plane runs. gopher-lua and gopher-json are the versions ArgoCD's util/lua uses.
require (
	github.com/yuin/gopher-lua v1.1.2
	k8s.io/apimachinery v0.34.4
	layeh.com/gopher-json v0.0.0-20190114024228-97fed8db8427
	sigs.k8s.io/cli-utils v0.37.2
)

require (
	github.com/fxamacker/cbor/v2 v2.9.0 // indirect
	github.com/go-logr/logr v1.4.2 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
	github.com/x448/float16 v0.8.4 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	golang.org/x/net v0.38.0 // indirect
	golang.org/x/text v0.23.0 // indirect
	gopkg.in/inf.v0 v0.9.1 // indirect
	k8s.io/api v0.34.4 // indirect
	k8s.io/klog/v2 v2.130.1 // indirect
	k8s.io/utils v0.0.0-20250604170112-4c0f3b243397 // indirect
	sigs.k8s.io/json v0.0.0-20241014173422-cfa47c3a1cc8 // indirect
	sigs.k8s.io/randfill v1.0.0 // indirect
	sigs.k8s.io/structured-merge-diff/v6 v6.3.0 // indirect
)
