import Foundation
import Testing

/// deploy/kubernetes/, parsed and checked for what the API server and the rollout need; no cluster here.
@Suite(
    "deploy/kubernetes",
    .timeLimit(.minutes(1)),
    .enabled(if: YAMLFiles.isAvailable || YAMLFiles.isRequired, "/usr/bin/python3 with PyYAML is missing (scripts/install-deps.sh)")
)
struct KubernetesManifestTests {
    static let folder = "deploy/kubernetes"

    /// Each file's documents, by file name.
    let files: [String: [YAMLValue]]
    let deployment: YAMLValue
    let pod: YAMLValue
    let container: YAMLValue
    let configuration: [String: String]

    init() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Repository.url(Self.folder).path).filter { $0.hasSuffix(".yaml") }
        let parsed = try YAMLFiles.documents(names.map { "\(Self.folder)/\($0)" })
        files = Dictionary(uniqueKeysWithValues: parsed.map { (String($0.key.dropFirst(Self.folder.count + 1)), $0.value) })
        deployment = try Self.only("Deployment", in: files)
        pod = try #require(deployment["spec"]?["template"])
        container = try #require(pod["spec"]?["containers"]?.array?.first)
        let configMap = try Self.only("ConfigMap", in: files)
        configuration = configMap["data"]?.object?.compactMapValues(\.string) ?? [:]
    }

    static func only(_ kind: String, in files: [String: [YAMLValue]]) throws -> YAMLValue {
        let matching = files.values.joined().filter { $0["kind"]?.string == kind }
        try #require(matching.count == 1, "one \(kind), not \(matching.count)")
        return matching[0]
    }

    var objects: [YAMLValue] {
        files.filter { $0.key != "kustomization.yaml" }.values.flatMap { $0 }.filter { $0 != .null }
    }

    var podLabels: [String: YAMLValue] {
        pod["metadata"]?["labels"]?.object ?? [:]
    }

    /// Whether `selector` (a mapping of labels) selects the Deployment's pods: not empty, and all its labels on them.
    func selectsPods(_ selector: YAMLValue?) -> Bool {
        guard let labels = selector?.object, !labels.isEmpty else { return false }
        return labels.allSatisfy { podLabels[$0.key] == $0.value }
    }

    @Test("every object has an apiVersion, a kind and a name, and the kustomization lists exactly the files present")
    func objectsAndKustomization() throws {
        #expect(objects.count >= 5)
        for object in objects {
            #expect(object["apiVersion"]?.string?.isEmpty == false, "\(object)")
            #expect(object["kind"]?.string?.isEmpty == false, "\(object)")
            #expect(object["metadata"]?["name"]?.string?.isEmpty == false, "\(object)")
        }
        let kustomization = try #require(files["kustomization.yaml"]?.first)
        let listed = kustomization["resources"]?.array?.compactMap(\.string) ?? []
        #expect(listed.count == Set(listed).count)
        #expect(Set(listed) == Set(files.keys).subtracting(["kustomization.yaml"]))
    }

    @Test("the ConfigMap holds only string values of documented variables, and the pods take their environment from it")
    func configMap() throws {
        let configMap = try Self.only("ConfigMap", in: files)
        let data = try #require(configMap["data"]?.object)
        // why: the API server refuses a ConfigMap whose value is a YAML number or boolean.
        #expect(data.filter { $0.value.string == nil }.isEmpty, "quote \(data.filter { $0.value.string == nil }.keys.sorted())")
        #expect(try Repository.undocumented(data.keys).isEmpty)
        #expect(data.keys.allSatisfy { $0.hasPrefix("HERALD_") })
        let sources = container["envFrom"]?.array?.compactMap { $0["configMapRef"]?["name"]?.string } ?? []
        #expect(sources.contains(try #require(configMap["metadata"]?["name"]?.string)))
    }

    @Test("the Deployment probes /readyz for readiness and /healthz for liveness on the port herald listens on")
    func probes() throws {
        let ports = container["ports"]?.array ?? []
        let listening = Int(configuration["HERALD_PORT"] ?? "8080")
        let http = try #require(ports.first { $0["containerPort"]?.int == listening }, "no containerPort \(listening ?? 0)")
        let portNames: Set<YAMLValue> = [.int(listening ?? 0), http["name"] ?? .null]
        #expect(container["readinessProbe"]?["httpGet"]?["path"]?.string == "/readyz")
        #expect(container["livenessProbe"]?["httpGet"]?["path"]?.string == "/healthz")
        #expect(portNames.contains(container["readinessProbe"]?["httpGet"]?["port"] ?? .null))
        #expect(portNames.contains(container["livenessProbe"]?["httpGet"]?["port"] ?? .null))

        // A draining pod must leave the Service's endpoints before its streams start closing.
        let budget = try DrainBudget(environment: configuration)
        let readiness = try #require(container["readinessProbe"])
        let noticed = Duration.seconds((readiness["periodSeconds"]?.int ?? 10) * (readiness["failureThreshold"]?.int ?? 3))
        #expect(noticed < budget.grace, "readiness notices a drain after \(noticed), not within the drain grace \(budget.grace)")
    }

    @Test("the termination grace period exceeds the drain grace plus the drain window")
    func terminationGrace() throws {
        let budget = try DrainBudget(environment: configuration)
        let seconds = pod["spec"]?["terminationGracePeriodSeconds"]?.int ?? 30
        #expect(Duration.seconds(seconds) > budget.total)
    }

    @Test("the pods run as a non-root user with a read-only root filesystem, no privilege escalation and no service links")
    func security() throws {
        let podSecurity = pod["spec"]?["securityContext"]
        let containerSecurity = container["securityContext"]
        #expect((containerSecurity?["runAsNonRoot"] ?? podSecurity?["runAsNonRoot"])?.bool == true)
        #expect(containerSecurity?["readOnlyRootFilesystem"]?.bool == true)
        #expect(containerSecurity?["allowPrivilegeEscalation"]?.bool == false)
        // runAsNonRoot can only verify a numeric user: the one the image declares.
        let imageUser = Dockerfile(text: try Repository.text("deploy/Dockerfile")).stages.last?.all("USER").last?.arguments
        let uid = try #require((containerSecurity?["runAsUser"] ?? podSecurity?["runAsUser"])?.int)
        #expect(uid != 0)
        #expect(imageUser?.split(separator: ":").first == Substring(String(uid)))

        // A Service named herald makes Kubernetes inject HERALD_PORT=tcp://…, which herald would read as its port.
        let injected = objects.filter { $0["kind"]?.string == "Service" }.compactMap { $0["metadata"]?["name"]?.string }.flatMap { name in
            let prefix = name.uppercased().replacing("-", with: "_")
            return ["\(prefix)_PORT", "\(prefix)_SERVICE_HOST", "\(prefix)_SERVICE_PORT"]
        }
        if try !Set(injected).isDisjoint(with: Repository.documentedVariables()) {
            #expect(pod["spec"]?["enableServiceLinks"]?.bool == false)
        }
    }

    @Test("the Deployment, Service, PodDisruptionBudget and autoscaler all select the same pods")
    func selectors() throws {
        #expect(selectsPods(deployment["spec"]?["selector"]?["matchLabels"]))

        let service = try Self.only("Service", in: files)
        #expect(service["spec"]?["type"]?.string ?? "ClusterIP" == "ClusterIP")
        #expect(selectsPods(service["spec"]?["selector"]))
        let containerPorts = container["ports"]?.array ?? []
        for port in service["spec"]?["ports"]?.array ?? [] {
            let target = port["targetPort"] ?? port["port"] ?? .null
            #expect(containerPorts.contains { $0["name"] == target || $0["containerPort"] == target }, "targetPort \(target)")
        }

        let budget = try Self.only("PodDisruptionBudget", in: files)
        #expect(budget["apiVersion"]?.string == "policy/v1")
        #expect(selectsPods(budget["spec"]?["selector"]?["matchLabels"]))
        #expect(budget["spec"]?["maxUnavailable"] != nil || budget["spec"]?["minAvailable"] != nil)

        let autoscaler = try Self.only("HorizontalPodAutoscaler", in: files)
        #expect(autoscaler["apiVersion"]?.string == "autoscaling/v2")
        let target = autoscaler["spec"]?["scaleTargetRef"]
        #expect(target?["kind"]?.string == "Deployment")
        #expect(target?["name"] == deployment["metadata"]?["name"])
        let replicas = deployment["spec"]?["replicas"]?.int ?? 1
        #expect((autoscaler["spec"]?["minReplicas"]?.int ?? 1) <= replicas)
        #expect(replicas <= autoscaler["spec"]?["maxReplicas"]?.int ?? 0)
        // Utilization is measured against the request: without one the autoscaler cannot act.
        #expect(container["resources"]?["requests"]?["cpu"] != nil)
        #expect(container["resources"]?["limits"]?["memory"] != nil)
    }
}
