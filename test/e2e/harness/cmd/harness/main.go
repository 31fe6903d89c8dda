// Command harness runs a real kube-apiserver (k8s.io/kubernetes, in-process)
// backed by an embedded etcd, for the ephemeral-guard e2e suite.
//
// Usage:
//
//	harness --data-dir DIR [--port N] [--audit-log FILE] [--log-file FILE]
//	        [--ready-timeout 3m] [--extra-apiserver-arg=--flag=value ...] [-- more apiserver args]
//
// On start it generates a fresh PKI under DIR/pki, writes DIR/kubeconfig
// (cluster-admin via a client certificate in group system:masters) and
// DIR/audit-policy.yaml, starts etcd (DIR/etcd) and the apiserver, and once
// /readyz answers 200 and namespace "default" exists it atomically writes
// DIR/ready, a JSON document (see readyInfo) that a test process can wait on.
// The same JSON is printed as one line on stdout. Everything the apiserver and
// etcd log goes to the log file (default DIR/apiserver.log), not the terminal.
//
// SIGTERM or SIGINT stop it: the apiserver shuts down, then etcd is closed.
// The apiserver command installs the only signal handler
// (k8s.io/apiserver/pkg/server.SetupSignalContext panics when called twice),
// so this program installs none of its own; a second signal exits at once.
//
// Loopback only: every listener is on 127.0.0.1, and the apiserver reaches webhook Services
// through EndpointSlices (--enable-aggregator-routing), never through a ClusterIP (see args).
//
// There is no kube-controller-manager, scheduler or kubelet: pods stay
// Pending, namespaces never finish terminating, and no namespace gets a
// "default" ServiceAccount automatically. The ServiceAccount admission plugin
// is deliberately left ON (as in production), so a Pod create, and every
// update of pods/ephemeralcontainers, fails with
// `serviceaccount "default" not found` unless the test suite first creates
// ServiceAccount "default" in the namespace itself.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "time/tzdata" // same as upstream cmd/kube-apiserver (CronJob time zones)

	"go.etcd.io/etcd/server/v3/embed"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // as upstream cmd/kube-apiserver
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // as upstream cmd/kube-apiserver
	_ "k8s.io/component-base/metrics/prometheus/version"  // as upstream cmd/kube-apiserver
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type readyInfo struct {
	Server         string `json:"server"`
	Kubeconfig     string `json:"kubeconfig"`
	AuditLog       string `json:"auditLog"`
	LogFile        string `json:"logFile"`
	DataDir        string `json:"dataDir"`
	CAFile         string `json:"caFile"`
	ClientCertFile string `json:"clientCertFile"`
	ClientKeyFile  string `json:"clientKeyFile"`
	Etcd           string `json:"etcd"`
	PID            int    `json:"pid"`
}

// msgOut receives the harness's own messages. It is the original stderr,
// kept aside before stderr is pointed at the log file.
var msgOut = os.Stderr

func logf(format string, args ...any) {
	fmt.Fprintf(msgOut, "harness: "+format+"\n", args...)
}

func main() {
	os.Exit(run())
}

func run() int {
	var (
		dataDir      = flag.String("data-dir", "", "directory for PKI, kubeconfig, etcd data, logs and the ready file (required; created if missing)")
		port         = flag.Int("port", 0, "kube-apiserver secure port on 127.0.0.1 (0 = pick a free one)")
		auditLog     = flag.String("audit-log", "", "audit log path (default DATA/audit.log)")
		logFile      = flag.String("log-file", "", `file receiving apiserver and etcd logs (default DATA/apiserver.log; "-" keeps them on stderr)`)
		readyTimeout = flag.Duration("ready-timeout", 3*time.Minute, "give up (and shut down with exit code 1) if not ready by then")
		extraArgs    stringList
	)
	flag.Var(&extraArgs, "extra-apiserver-arg", "extra kube-apiserver argument, e.g. --extra-apiserver-arg=--v=4 (repeatable); arguments after -- are passed too")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "harness: --data-dir is required")
		flag.Usage()
		return 2
	}
	extraArgs = append(extraArgs, flag.Args()...)

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	pki := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		logf("error: %v", err)
		return 1
	}
	readyFile := filepath.Join(dir, "ready")
	if err := os.Remove(readyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		logf("error: removing stale ready file: %v", err)
		return 1
	}
	if *auditLog == "" {
		*auditLog = filepath.Join(dir, "audit.log")
	}
	if *auditLog, err = filepath.Abs(*auditLog); err != nil {
		logf("error: %v", err)
		return 1
	}
	if *logFile == "" {
		*logFile = filepath.Join(dir, "apiserver.log")
	}
	if *logFile != "-" {
		if *logFile, err = filepath.Abs(*logFile); err != nil {
			logf("error: %v", err)
			return 1
		}
		if err := redirectStderr(*logFile); err != nil {
			logf("error: %v", err)
			return 1
		}
	}

	if *port == 0 {
		if *port, err = freePort(); err != nil {
			logf("error: %v", err)
			return 1
		}
	}
	etcdClientPort, err := freePort()
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	etcdPeerPort, err := freePort()
	if err != nil {
		logf("error: %v", err)
		return 1
	}

	files, err := writePKI(pki)
	if err != nil {
		logf("error: generating certificates: %v", err)
		return 1
	}
	server := "https://127.0.0.1:" + strconv.Itoa(*port)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, server, files); err != nil {
		logf("error: %v", err)
		return 1
	}
	auditPolicy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(auditPolicy, []byte(auditPolicyYAML), 0o600); err != nil {
		logf("error: %v", err)
		return 1
	}

	// Build the apiserver command first: it installs the process's signal
	// handler, and its context is cancelled on SIGTERM/SIGINT, which also
	// covers the etcd start below.
	cmd := app.NewAPIServerCommand()
	ctx := cmd.Context()

	etcdURL := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(etcdClientPort)}
	etcd, err := startEtcd(ctx, filepath.Join(dir, "etcd"), etcdURL,
		url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(etcdPeerPort)})
	if err != nil {
		logf("error: starting etcd: %v", err)
		return 1
	}
	var etcdOnce sync.Once // embed.Etcd.Close panics when called twice
	closeEtcd := func() { etcdOnce.Do(etcd.Close) }
	defer closeEtcd()

	args := []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(*port),
		"--etcd-servers=" + etcdURL.String(),
		"--tls-cert-file=" + files.serverCert,
		"--tls-private-key-file=" + files.serverKey,
		"--client-ca-file=" + files.caCert,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + files.saKey,
		"--service-account-signing-key-file=" + files.saKey,
		// ClusterIPs are allocated from this range, but nothing here may ever dial one: the suite
		// sends traffic only to loopback, and 10.0.0.0/24 is off this machine.
		"--service-cluster-ip-range=10.0.0.0/24",
		// Resolve Services that webhooks (and CRD conversion webhooks, APIServices) name through
		// their EndpointSlices, not their ClusterIP (kube-apiserver buildServiceResolver:
		// NewEndpointServiceResolver instead of NewClusterIPServiceResolver). Without a ready
		// endpoint the call then fails before any dial, with `no endpoints available for service
		// "NAME"`; the ClusterIP resolver would open a TCP connection to 10.0.0.x. EndpointSlices
		// cannot hold loopback addresses, so the suite never gives such a Service a ready
		// endpoint (test/e2e/support/network-guard.ts checks it); webhooks that must answer are
		// registered with clientConfig.url https://127.0.0.1:PORT. The e2e suite also runs in a
		// loopback-only network namespace (scripts/loopback.sh), where any other dial fails.
		"--enable-aggregator-routing=true",
		"--authorization-mode=RBAC",
		// Without it `kubectl debug --profile=sysadmin` (privileged) is rejected.
		"--allow-privileged=true",
		// No controller-manager/kubelet: do not publish a loopback endpoint
		// for the "kubernetes" Service.
		"--endpoint-reconciler-type=none",
		// All of these are on by default in v1.37; listed to make explicit
		// what the suite relies on. ServiceAccount stays ON (production-like):
		// the suite creates ServiceAccount "default" per namespace itself.
		"--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
		"--audit-policy-file=" + auditPolicy,
		"--audit-log-path=" + *auditLog,
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--v=0",
	}
	args = append(args, extraArgs...)
	cmd.SetArgs(args)

	info := readyInfo{
		Server:         server,
		Kubeconfig:     kubeconfig,
		AuditLog:       *auditLog,
		LogFile:        *logFile,
		DataDir:        dir,
		CAFile:         files.caCert,
		ClientCertFile: files.adminCert,
		ClientKeyFile:  files.adminKey,
		Etcd:           etcdURL.String(),
		PID:            os.Getpid(),
	}
	readyFailed := make(chan struct{})
	go func() {
		if err := waitReady(ctx, info, files, *readyTimeout); err != nil {
			if ctx.Err() != nil {
				return // shutting down anyway
			}
			logf("error: %v; shutting down (log: %s)", err, *logFile)
			close(readyFailed)
			genericapiserver.RequestShutdown()
			return
		}
		if err := writeReady(readyFile, info); err != nil {
			logf("error: writing ready file: %v", err)
			close(readyFailed)
			genericapiserver.RequestShutdown()
			return
		}
		line, _ := json.Marshal(info)
		fmt.Fprintln(os.Stdout, string(line))
		logf("ready: %s (pid %d, ready file %s)", server, info.PID, readyFile)
	}()

	logf("starting kube-apiserver on %s, etcd on %s, logs in %s", server, etcdURL.String(), *logFile)
	code := cli.Run(cmd) // blocks until SIGTERM/SIGINT or failure
	_ = os.Remove(readyFile)
	closeEtcd()
	select {
	case <-readyFailed:
		if code == 0 {
			code = 1
		}
	default:
	}
	if code != 0 {
		logf("kube-apiserver exited with code %d; last lines of %s:\n%s", code, *logFile, tail(*logFile, 40))
	} else {
		logf("stopped")
	}
	return code
}

// auditPolicyYAML records, at level Request, what clients do to pods and
// pods/ephemeralcontainers. The apiserver's own loopback client
// (system:apiserver, e.g. its internal pod watch) is left out as noise.
const auditPolicyYAML = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["system:apiserver"]
- level: Request
  resources:
  - group: ""
    resources: ["pods", "pods/ephemeralcontainers"]
- level: None
`

// redirectStderr points file descriptor 2 at path (append), so klog, etcd's
// zap logger and any panic output land there. The original stderr is kept
// for the harness's own messages.
func redirectStderr(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		return fmt.Errorf("dup stderr: %w", err)
	}
	syscall.CloseOnExec(saved)
	if err := syscall.Dup3(int(f.Fd()), 2, 0); err != nil {
		return fmt.Errorf("redirect stderr: %w", err)
	}
	_ = f.Close()
	msgOut = os.NewFile(uintptr(saved), "/dev/stderr")
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startEtcd(ctx context.Context, dataDir string, client, peer url.URL) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Dir = dataDir
	cfg.UnsafeNoFsync = true // test data only; much faster on slow disks
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{"stderr"} // i.e. the log file
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-ctx.Done():
		e.Close()
		return nil, errors.New("interrupted")
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("etcd not ready after 60s")
	}
}

// waitReady polls /readyz until it answers 200, then waits for namespace
// "default" (created by the apiserver's own bootstrap controller).
func waitReady(ctx context.Context, info readyInfo, files pkiFiles, timeout time.Duration) error {
	caPEM, err := os.ReadFile(files.caCert)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(files.adminCert, files.adminKey)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
		},
	}
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for _, path := range []string{"/readyz", "/api/v1/namespaces/default"} {
		for {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("not ready after %s: GET %s: %s", timeout, path, last)
			}
			resp, err := client.Get(info.Server + path)
			if err == nil {
				body, _ := readAtMost(resp, 2048)
				if resp.StatusCode == http.StatusOK {
					break
				}
				last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(body))
			} else {
				last = err.Error()
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

func readAtMost(resp *http.Response, n int64) (string, error) {
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(io.LimitReader(resp.Body, n))
	return b.String(), err
}

func writeReady(path string, info readyInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// ---- PKI ----

type pkiFiles struct {
	caCert, caKey         string
	serverCert, serverKey string
	adminCert, adminKey   string
	saKey                 string
}

func writePKI(dir string) (pkiFiles, error) {
	f := pkiFiles{
		caCert: filepath.Join(dir, "ca.crt"), caKey: filepath.Join(dir, "ca.key"),
		serverCert: filepath.Join(dir, "apiserver.crt"), serverKey: filepath.Join(dir, "apiserver.key"),
		adminCert: filepath.Join(dir, "admin.crt"), adminKey: filepath.Join(dir, "admin.key"),
		saKey: filepath.Join(dir, "sa.key"),
	}
	now := time.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(365*24*time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "ephemeral-guard-e2e-ca"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return f, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return f, err
	}
	if err := writeCertAndKey(f.caCert, f.caKey, caDER, caKey); err != nil {
		return f, err
	}

	issue := func(tmpl *x509.Certificate, certPath, keyPath string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl.SerialNumber = serial()
		tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		return writeCertAndKey(certPath, keyPath, der, key)
	}
	if err := issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP("10.0.0.1")},
	}, f.serverCert, f.serverKey); err != nil {
		return f, err
	}
	if err := issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, f.adminCert, f.adminKey); err != nil {
		return f, err
	}

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return f, err
	}
	saDER := x509.MarshalPKCS1PrivateKey(saKey)
	if err := os.WriteFile(f.saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: saDER}), 0o600); err != nil {
		return f, err
	}
	return f, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n
}

func writeCertAndKey(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func writeKubeconfig(path, server string, f pkiFiles) error {
	read := func(p string) (string, error) {
		b, err := os.ReadFile(p)
		return base64.StdEncoding.EncodeToString(b), err
	}
	ca, err := read(f.caCert)
	if err != nil {
		return err
	}
	cert, err := read(f.adminCert)
	if err != nil {
		return err
	}
	key, err := read(f.adminKey)
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: e2e
  context:
    cluster: e2e
    user: admin
    namespace: default
current-context: e2e
`, server, ca, cert, key)
	return os.WriteFile(path, []byte(cfg), 0o600)
}
