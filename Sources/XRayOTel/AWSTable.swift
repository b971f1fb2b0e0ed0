import XRayWire

/// The `aws` block (`aws.go` `makeAws`): the AWS call a span made, and where the service runs, from the
/// resource. A resource on another cloud (`cloud.provider` set and not `aws`) gets no block.
enum AWSTable {
    static func make(_ attributes: inout SpanAttributes, resource: SpanAttributes, logGroupNames: [String]) -> JSONObject? {
        if let provider = resource.string("cloud.provider"), provider != "aws" { return nil }
        var aws = JSONObject()
        var consumed: Set<String> = []
        func take(_ keys: String...) -> String? {
            for key in keys {
                if let v = attributes.get(key) {
                    consumed.insert(key)
                    return v.asString
                }
            }
            return nil
        }
        if let op = take("aws.operation", "rpc.method") { aws["operation"] = .string(op) }
        if let account = take("aws.account_id") { aws["account_id"] = .string(account) }
        if let region = take("aws.region") { aws["remote_region"] = .string(region) }
        if let request = take("aws.request_id", "aws.requestId") { aws["request_id"] = .string(request) }
        if let queue = take("messaging.url") ?? take("aws.queue_url", "aws.queue.url") { aws["queue_url"] = .string(queue) }
        if let table = take("aws.table_name", "aws.table.name") { aws["table_name"] = .string(table) }
        if case .array(let names)? = attributes.get("aws.dynamodb.table_names") {
            consumed.insert("aws.dynamodb.table_names")
            if names.count == 1 {
                aws["table_name"] = .string(names[0].asString)
            } else if names.count > 1 {
                aws["table_names"] = .array(names.map { .string($0.asString) })
            }
        }
        attributes.remove(consumed)

        let platform = resource.string("cloud.platform")
        func put(_ object: inout JSONObject, _ field: String, _ key: String) {
            if let v = resource.get(key), case .string(let s) = v, !s.isEmpty { object[field] = .string(s) }
        }
        if platform == "aws_ec2" || resource.contains("host.id") {
            var ec2 = JSONObject()
            put(&ec2, "instance_id", "host.id")
            put(&ec2, "availability_zone", "cloud.availability_zone")
            put(&ec2, "instance_size", "host.type")
            put(&ec2, "ami_id", "host.image.id")
            aws["ec2"] = .object(ec2)
        }
        if platform == "aws_ecs" {
            var ecs = JSONObject()
            put(&ecs, "container", "host.name")
            put(&ecs, "container_id", "container.id")
            put(&ecs, "task_arn", "aws.ecs.task.arn")
            put(&ecs, "task_family", "aws.ecs.task.family")
            put(&ecs, "cluster_arn", "aws.ecs.cluster.arn")
            put(&ecs, "container_arn", "aws.ecs.container.arn")
            put(&ecs, "availability_zone", "cloud.availability_zone")
            put(&ecs, "launch_type", "aws.ecs.launchtype")
            aws["ecs"] = .object(ecs)
        }
        if platform == "aws_elastic_beanstalk", let instance = resource.get("service.instance.id"), !instance.asString.isEmpty {
            var eb = JSONObject()
            put(&eb, "environment_name", "service.namespace")
            eb["deployment_id"] = .number(JSONNumber(text: String(Int64(instance.asString) ?? 0)))
            put(&eb, "version_label", "service.version")
            aws["elastic_beanstalk"] = .object(eb)
        }
        if platform == "aws_eks" || resource.contains("k8s.cluster.name") {
            var eks = JSONObject()
            put(&eks, "cluster_name", "k8s.cluster.name")
            put(&eks, "pod", "k8s.pod.name")
            put(&eks, "container_id", "container.id")
            aws["eks"] = .object(eks)
        }
        if let groups = logGroups(resource, config: logGroupNames) { aws["cloudwatch_logs"] = .array(groups) }

        var xray = JSONObject()
        if let name = resource.string("telemetry.sdk.name") {
            xray["sdk"] = .string(name + " for " + (resource.string("telemetry.sdk.language") ?? ""))
        }
        if let version = resource.string("telemetry.sdk.version") { xray["sdk_version"] = .string(version) }
        if resource.contains("telemetry.auto.version") { xray["auto_instrumentation"] = .bool(true) }
        if !xray.isEmpty { aws["xray"] = .object(xray) }
        return aws
    }

    /// `aws.log.group.arns` wins over `aws.log.group.names` (arrays, or one `&`-separated string), then config.
    static func logGroups(_ resource: SpanAttributes, config: [String]) -> [JSONValue]? {
        func list(_ key: String) -> [String]? {
            switch resource.get(key) {
            case .array(let values)?: values.map(\.asString).filter { !$0.isEmpty }
            case .string(let s)?: s.split(separator: "&").map(String.init)
            default: nil
            }
        }
        if let arns = list("aws.log.group.arns"), !arns.isEmpty {
            return arns.map { arn in
                // arn:aws:logs:<region>:<account>:log-group:<name>[:*]
                let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
                let name = parts.count >= 7 ? String(parts[6]) : arn
                return .object(JSONObject([("log_group", .string(name)), ("arn", .string(arn))]))
            }
        }
        let names = list("aws.log.group.names") ?? config
        guard !names.isEmpty else { return nil }
        return names.map { .object(JSONObject([("log_group", .string($0))])) }
    }

    /// The service segment of a local-root client span keeps only where it runs, not what it called.
    static func withoutSubsegmentFields(_ aws: JSONObject) -> JSONObject {
        let callFields: Set<String> = ["operation", "account_id", "remote_region", "request_id", "queue_url", "table_name", "table_names"]
        return JSONObject(aws.members.filter { !callFields.contains($0.key) })
    }
}

/// `origin` from the resource (`determineAwsOrigin`): only AWS compute platforms have one.
enum OriginTable {
    static func make(_ resource: SpanAttributes) -> String? {
        guard !resource.isEmpty else { return nil }
        if let provider = resource.string("cloud.provider"), provider != "aws" { return nil }
        switch resource.string("cloud.platform") {
        case "aws_app_runner": return "AWS::AppRunner::Service"
        case "aws_eks": return "AWS::EKS::Container"
        case "aws_elastic_beanstalk": return "AWS::ElasticBeanstalk::Environment"
        case "aws_ecs":
            switch resource.string("aws.ecs.launchtype") {
            case "ec2": return "AWS::ECS::EC2"
            case "fargate": return "AWS::ECS::Fargate"
            default: return "AWS::ECS::Container"
            }
        case "aws_ec2": return "AWS::EC2::Instance"
        default: return nil
        }
    }
}

/// `service.version` (`service.go` `makeService`): `service.version`, else `container.image.tag`.
enum ServiceTable {
    static func make(_ resource: SpanAttributes) -> JSONObject? {
        guard let version = resource.string("service.version") ?? resource.string("container.image.tag") else { return nil }
        return JSONObject([("version", .string(version))])
    }
}

/// The `sql` block (`sql.go` `makeSQL`), only for SQL databases named by the v1.12 `db.system`. The v1.26+
/// names (`db.system.name`, `db.query.text`) make no block there either; they stay in metadata.
enum SQLTable {
    static let systems: Set<String> = [
        "db2", "derby", "hive", "mariadb", "mssql", "mysql", "oracle", "postgresql", "sqlite", "teradata", "other_sql",
    ]

    static func make(_ span: OTLPSpan, _ attributes: inout SpanAttributes) -> JSONObject? {
        guard let system = attributes.string("db.system"), systems.contains(system) else { return nil }
        let connection = (attributes.string("db.connection_string") ?? "").isEmpty ? "localhost" : attributes.string("db.connection_string") ?? ""
        var sql = JSONObject()
        // The Collector uses the span name as the URL: "having the DB connection string set as the URL value of
        // the segment is not useful".
        sql["url"] = .string(span.name)
        sql["connection_string"] = .string(connection + "/" + (attributes.string("db.name") ?? ""))
        sql["database_type"] = .string(system)
        if let user = attributes.string("db.user"), !user.isEmpty { sql["user"] = .string(user) }
        if let statement = attributes.string("db.statement"), !statement.isEmpty { sql["sanitized_query"] = .string(statement) }
        attributes.remove(["db.connection_string", "db.system", "db.name", "db.statement", "db.user"])
        return sql
    }
}

/// `links` (`span_links.go`): linked spans by X-Ray trace id and segment id, with their attributes.
enum LinkTable {
    static func make(_ links: [OTLPLink]) -> [JSONValue]? {
        guard !links.isEmpty else { return nil }
        return links.map { link in
            var o = JSONObject()
            o["trace_id"] = .string(XRayIDs.traceID(link.traceID))
            o["id"] = .string(hex(link.spanID))
            let attributes = JSONObject(link.attributes.compactMap { kv in kv.value.metadataJSON.map { (kv.key, $0) } })
            if !attributes.isEmpty { o["attributes"] = .object(attributes) }
            return .object(o)
        }
    }
}

/// `user`, `annotations` and `metadata` (`segment.go` `makeXRayAttributes`).
enum AttributeTable {
    static func make(
        _ attributes: inout SpanAttributes, resource: OTLPResource, storeResource: Bool,
        options: SegmentTranslator.Options
    ) -> (user: String?, annotations: JSONObject?, metadata: JSONObject?) {
        var user: String?
        if let id = attributes.get("enduser.id") {
            user = id.asString
            attributes.remove("enduser.id")
        }
        var indexed = options.indexAllAttributes ? [] : Set(options.indexedAttributes)
        if case .array(let keys)? = attributes.get(AttributeKey.annotations) {
            for case .string(let key) in keys { indexed.insert(key) }
            attributes.remove(AttributeKey.annotations)
        }
        var annotations = JSONObject()
        var defaultMetadata = JSONObject()
        var namespaces = JSONObject()

        if storeResource {
            for kv in SpanAttributes(resource.attributes).list {
                let key = "otel.resource." + kv.key
                if options.indexAllAttributes || indexed.contains(key), let value = kv.value.annotationJSON {
                    annotations[fixAnnotationKey(key)] = value
                } else if let value = kv.value.metadataJSON {
                    defaultMetadata[key] = value
                }
            }
        }
        for kv in attributes.list {
            if options.indexAllAttributes {
                if let value = kv.value.annotationJSON { annotations[fixAnnotationKey(kv.key)] = value }
            } else if indexed.contains(kv.key) {
                if let value = kv.value.annotationJSON { annotations[fixAnnotationKey(kv.key)] = value }
            } else if kv.key.hasPrefix(AttributeKey.metadataPrefix), case .string(let text) = kv.value {
                let namespace = String(kv.key.dropFirst(AttributeKey.metadataPrefix.count))
                guard case .object(let object)? = try? JSONParser.parse(text).value else {
                    defaultMetadata[kv.key] = .string(text)
                    continue
                }
                if namespace.lowercased() == "default" {
                    for m in object { defaultMetadata[m.key] = m.value }
                } else {
                    namespaces[namespace] = .object(object)
                }
            } else if let value = kv.value.metadataJSON {
                defaultMetadata[kv.key] = value
            }
        }
        var metadata = JSONObject()
        if !defaultMetadata.isEmpty { metadata["default"] = .object(defaultMetadata) }
        for m in namespaces where m.key != "default" { metadata[m.key] = m.value }
        return (user, annotations.isEmpty ? nil : annotations, metadata.isEmpty ? nil : metadata)
    }

    /// Letters and digits stay, `.` stays (the Collector's `exporter.xray.allowDot` gate, on by default since
    /// v0.97.0), everything else becomes `_`.
    static func fixAnnotationKey(_ key: String) -> String {
        String(
            String.UnicodeScalarView(
                key.unicodeScalars.map { s -> Unicode.Scalar in
                    switch s {
                    case "0"..."9", "A"..."Z", "a"..."z", ".": s
                    default: "_"
                    }
                }))
    }
}
