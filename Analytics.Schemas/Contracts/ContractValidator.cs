using System.Globalization;
using System.Text.Json;
using Analytics.Schemas.Serialization;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// Rejects contract instances that cannot describe reality: values out of their physical range,
/// boxes outside the image, clocks in the future, missing ids. Every problem is reported, each at
/// the JSON path it has on the wire, so a producer can fix a whole payload in one round trip.
/// </summary>
public static class ContractValidator
{
    /// <summary>
    /// Validates any contract: an <see cref="Observation"/> (or one of its kinds), <see cref="Signal"/>,
    /// <see cref="Incident"/>, <see cref="AnalyticsEvent"/> (including its payload),
    /// <see cref="BoundingBox"/>, <see cref="Evidence"/>, <see cref="TraceContext"/>, <see cref="Site"/>,
    /// <see cref="Camera"/>, <see cref="Zone"/>, <see cref="ActiveHours"/>, <see cref="Point"/>, <see cref="Silence"/>, <see cref="NotificationRule"/>, or a list of
    /// them, in which case paths start with the item index, e.g. <c>$[3].box.width</c>.
    /// </summary>
    /// <param name="model">The contract instance; null is reported as a problem at <c>$</c>.</param>
    /// <param name="now">The current time; timestamps may not lie further ahead than <paramref name="maxFutureSkew"/>.</param>
    /// <param name="maxFutureSkew">Tolerated clock skew; <see cref="ContractLimits.DefaultMaxFutureSkew"/> when null.</param>
    /// <returns>Every problem found; empty when the model is valid.</returns>
    /// <exception cref="ArgumentException">The model is not a contract.</exception>
    public static IReadOnlyList<ValidationProblem> Validate<T>(T model, DateTimeOffset now, TimeSpan? maxFutureSkew = null)
    {
        var checker = new Checker(now, maxFutureSkew ?? ContractLimits.DefaultMaxFutureSkew);
        checker.Any(model, Root);
        return checker.Problems;
    }

    /// <inheritdoc cref="Validate{T}(T, DateTimeOffset, TimeSpan?)"/>
    /// <param name="model">The contract instance; null is reported as a problem at <c>$</c>.</param>
    /// <param name="clock">Source of the current time.</param>
    /// <param name="maxFutureSkew">Tolerated clock skew; <see cref="ContractLimits.DefaultMaxFutureSkew"/> when null.</param>
    public static IReadOnlyList<ValidationProblem> Validate<T>(T model, TimeProvider clock, TimeSpan? maxFutureSkew = null) =>
        Validate(model, clock.GetUtcNow(), maxFutureSkew);

    private const string Root = "$";

    private sealed class Checker(DateTimeOffset now, TimeSpan maxFutureSkew)
    {
        private List<ValidationProblem>? _problems;

        public IReadOnlyList<ValidationProblem> Problems => _problems is null ? [] : _problems;

        public void Any(object? model, string path)
        {
            switch (model)
            {
                case null:
                    Add(path, "is required");
                    break;
                case TrackUpdate trackUpdate:
                    TrackUpdate(trackUpdate, path);
                    break;
                case ZoneHit zoneHit:
                    ZoneHit(zoneHit, path);
                    break;
                case AffectTelemetry affect:
                    AffectTelemetry(affect, path);
                    break;
                case CameraHeartbeat heartbeat:
                    ObservationCommon(heartbeat, path, EventTypes.CameraHeartbeat);
                    break;
                case Signal signal:
                    Signal(signal, path);
                    break;
                case Incident incident:
                    Incident(incident, path);
                    break;
                case AnalyticsEvent analyticsEvent:
                    Event(analyticsEvent, path);
                    break;
                case BoundingBox box:
                    Box(box, path);
                    break;
                case Evidence evidence:
                    Evidence(evidence, path);
                    break;
                case TraceContext trace:
                    Trace(trace, path);
                    break;
                case Site site:
                    Site(site, path);
                    break;
                case Camera camera:
                    Camera(camera, path);
                    break;
                case Zone zone:
                    Zone(zone, path);
                    break;
                case Silence silence:
                    Silence(silence, path);
                    break;
                case NotificationRule rule:
                    NotificationRule(rule, path);
                    break;
                case ActiveHours schedule:
                    Schedule(schedule, path);
                    break;
                case Point point:
                    Point(point, path);
                    break;
                case IEnumerable<object?> items:
                    var index = 0;
                    foreach (var item in items)
                    {
                        Any(item, Index(path, index++));
                    }

                    break;
                default:
                    throw new ArgumentException($"{model.GetType().Name} is not a contract that can be validated.", nameof(model));
            }
        }

        private void ObservationCommon(Observation observation, string path, string type)
        {
            Version(path, type, observation.SchemaVersion);
            Id(path, "siteId", observation.SiteId);
            Id(path, "cameraId", observation.CameraId);
            Timestamp(path, "occurredAt", observation.OccurredAt);
        }

        private void TrackUpdate(TrackUpdate track, string path)
        {
            ObservationCommon(track, path, EventTypes.TrackUpdate);
            Id(path, "trackId", track.TrackId);
            Id(path, "objectClass", track.ObjectClass);
            Between(path, "confidence", track.Confidence, 0, 1);
            if (track.Box is null)
            {
                Add(Member(path, "box"), "is required");
            }
            else
            {
                Box(track.Box, Member(path, "box"));
            }

            IdList(path, "attributes", track.Attributes);
        }

        private void ZoneHit(ZoneHit hit, string path)
        {
            ObservationCommon(hit, path, EventTypes.ZoneHit);
            Id(path, "zoneId", hit.ZoneId);
            Id(path, "trackId", hit.TrackId);
            Id(path, "objectClass", hit.ObjectClass);
            Defined(path, "transition", hit.Transition);
        }

        private void AffectTelemetry(AffectTelemetry affect, string path)
        {
            ObservationCommon(affect, path, EventTypes.AffectTelemetry);
            Id(path, "zoneId", affect.ZoneId);
            Id(path, "subjectKey", affect.SubjectKey);
            Between(path, "engagement", affect.Engagement, 0, 1);
            Between(path, "valence", affect.Valence, -1, 1);
            Between(path, "arousal", affect.Arousal, 0, 1);
            Between(path, "confidence", affect.Confidence, 0, 1);
        }

        private void Signal(Signal signal, string path)
        {
            Id(path, "id", signal.Id);
            Id(path, "orgId", signal.OrgId);
            Defined(path, "domain", signal.Domain);
            Id(path, "kind", signal.Kind);
            Defined(path, "severity", signal.Severity);
            Between(path, "confidence", signal.Confidence, 0, 1);
            Id(path, "siteId", signal.SiteId);
            Id(path, "cameraId", signal.CameraId);
            OptionalId(path, "zoneId", signal.ZoneId);
            IdList(path, "trackIds", signal.TrackIds);
            var startedAtValid = Timestamp(path, "startedAt", signal.StartedAt);
            var endedAtValid = Timestamp(path, "endedAt", signal.EndedAt);
            if (startedAtValid && endedAtValid)
            {
                NotBefore(path, "endedAt", signal.EndedAt, "startedAt", signal.StartedAt);
            }

            if (signal.Evidence is null)
            {
                Add(Member(path, "evidence"), "is required");
            }
            else
            {
                Evidence(signal.Evidence, Member(path, "evidence"));
            }

            Version(path, EventTypes.Signal, signal.SchemaVersion);
        }

        private void Evidence(Evidence evidence, string path)
        {
            if (evidence.Measurements is null)
            {
                Add(Member(path, "measurements"), "is required");
            }
            else
            {
                var measurementsPath = Member(path, "measurements");
                // Sorted so the problem order does not depend on dictionary internals.
                foreach (var (name, value) in evidence.Measurements.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    if (string.IsNullOrWhiteSpace(name))
                    {
                        Add(measurementsPath, Invariant($"must not have an empty or whitespace name, was '{name}'"));
                    }
                    else if (!double.IsFinite(value))
                    {
                        Add(Key(measurementsPath, name), Invariant($"must be a finite number, was {value}"));
                    }
                }
            }

            IdList(path, "observationIds", evidence.ObservationIds);
        }

        private void Incident(Incident incident, string path)
        {
            Id(path, "id", incident.Id);
            Id(path, "orgId", incident.OrgId);
            Defined(path, "domain", incident.Domain);
            Id(path, "kind", incident.Kind);
            Defined(path, "severity", incident.Severity);
            Defined(path, "status", incident.Status);
            Id(path, "siteId", incident.SiteId);
            OptionalId(path, "cameraId", incident.CameraId);
            OptionalId(path, "zoneId", incident.ZoneId);
            if (IdList(path, "signalIds", incident.SignalIds) && incident.SignalIds.Count == 0 && incident.Domain != Domain.Platform)
            {
                Add(Member(path, "signalIds"), "must contain at least one signal id unless the domain is platform, was empty");
            }

            var openedAtValid = Timestamp(path, "openedAt", incident.OpenedAt);
            if (Timestamp(path, "updatedAt", incident.UpdatedAt) && openedAtValid)
            {
                NotBefore(path, "updatedAt", incident.UpdatedAt, "openedAt", incident.OpenedAt);
            }

            if (incident.AcknowledgedAt is { } acknowledgedAt)
            {
                if (Timestamp(path, "acknowledgedAt", acknowledgedAt) && openedAtValid)
                {
                    NotBefore(path, "acknowledgedAt", acknowledgedAt, "openedAt", incident.OpenedAt);
                }
            }
            else if (incident.Status == IncidentStatus.Acknowledged)
            {
                Add(Member(path, "acknowledgedAt"), "is required when status is acknowledged");
            }

            if (incident.ResolvedAt is { } resolvedAt)
            {
                if (Timestamp(path, "resolvedAt", resolvedAt) && openedAtValid)
                {
                    NotBefore(path, "resolvedAt", resolvedAt, "openedAt", incident.OpenedAt);
                }
            }
            else if (incident.Status == IncidentStatus.Resolved)
            {
                Add(Member(path, "resolvedAt"), "is required when status is resolved");
            }

            Version(path, EventTypes.Incident, incident.SchemaVersion);
        }

        // A silence ends in the future by nature, so its times are checked for UTC and order
        // only, not against the clock-skew limit of observed timestamps.
        private void Silence(Silence silence, string path)
        {
            Id(path, "silenceId", silence.SilenceId);
            Id(path, "orgId", silence.OrgId);
            OptionalId(path, "siteId", silence.SiteId);
            OptionalId(path, "cameraId", silence.CameraId);
            OptionalId(path, "zoneId", silence.ZoneId);
            OptionalId(path, "kind", silence.Kind);
            Id(path, "createdBy", silence.CreatedBy);
            if (silence.SiteId is null && silence.CameraId is null && silence.ZoneId is null && silence.Kind is null)
            {
                Add(path, "must name at least one of siteId, cameraId, zoneId and kind, so it cannot mute a whole organization by accident");
            }
            var startsUtc = Utc(path, "startsAt", silence.StartsAt);
            if (Utc(path, "endsAt", silence.EndsAt) && startsUtc)
            {
                if (silence.EndsAt <= silence.StartsAt)
                {
                    Add(Member(path, "endsAt"), Invariant($"must be after startsAt {silence.StartsAt:O}, was {silence.EndsAt:O}"));
                }
                else if (silence.EndsAt <= now)
                {
                    Add(Member(path, "endsAt"), Invariant($"must be in the future, was {silence.EndsAt:O}"));
                }
            }
            if (silence.Comment is { Length: > 2000 })
            {
                Add(Member(path, "comment"), Invariant($"must be at most 2000 characters, was {silence.Comment.Length}"));
            }
        }

        // The target must fit the channel: a URL for webhook and Slack, recipients for e-mail, and
        // not the other, so a rule never carries a target that silently goes unused.
        private void NotificationRule(NotificationRule rule, string path)
        {
            Id(path, "orgId", rule.OrgId);
            Id(path, "ruleId", rule.RuleId);
            Id(path, "name", rule.Name);
            Defined(path, "channel", rule.Channel);
            Defined(path, "minSeverity", rule.MinSeverity);
            var usesUrl = rule.Channel is Contracts.NotificationChannel.Webhook or Contracts.NotificationChannel.Slack;
            if (rule.Url is null)
            {
                if (usesUrl)
                {
                    Add(Member(path, "url"), Invariant($"is required for the {WireName(rule.Channel)} channel"));
                }
            }
            else if (!usesUrl)
            {
                Add(Member(path, "url"), Invariant($"must be omitted for the {WireName(rule.Channel)} channel, was '{rule.Url}'"));
            }
            else if (rule.Url.Length > ContractLimits.MaxTextLength || !Uri.TryCreate(rule.Url, UriKind.Absolute, out var uri)
                     || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                Add(Member(path, "url"), Invariant($"must be an absolute http or https URL of at most {ContractLimits.MaxTextLength} characters, was '{rule.Url}'"));
            }

            var recipientsPath = Member(path, "recipients");
            if (rule.Recipients is null)
            {
                Add(recipientsPath, "is required");
            }
            else if (rule.Channel == Contracts.NotificationChannel.Email)
            {
                if (rule.Recipients.Count is 0 or > Contracts.NotificationRule.MaxRecipients)
                {
                    Add(recipientsPath, Invariant($"must hold 1 to {Contracts.NotificationRule.MaxRecipients} addresses for the email channel, had {rule.Recipients.Count}"));
                }
                for (var i = 0; i < rule.Recipients.Count; i++)
                {
                    if (!IsMailbox(rule.Recipients[i]))
                    {
                        Add(Index(recipientsPath, i), Invariant($"must be an e-mail address like ops@example.com, was '{rule.Recipients[i]}'"));
                    }
                }
            }
            else if (rule.Recipients.Count > 0)
            {
                Add(recipientsPath, Invariant($"must be empty for the {WireName(rule.Channel)} channel, had {rule.Recipients.Count}"));
            }

            if (rule.Domains is null)
            {
                Add(Member(path, "domains"), "is required");
            }
            else
            {
                for (var i = 0; i < rule.Domains.Count; i++)
                {
                    if (!Enum.IsDefined(rule.Domains[i]))
                    {
                        Add(Index(Member(path, "domains"), i), Invariant($"must be a defined Domain, was {rule.Domains[i]}"));
                    }
                }
            }
            IdList(path, "kinds", rule.Kinds);
            if (rule.QuietHours is not null)
            {
                Schedule(rule.QuietHours, Member(path, "quietHours"));
            }
            Between(path, "cooldownSeconds", rule.CooldownSeconds, 0, Contracts.NotificationRule.MaxCooldownSeconds);
            var createdUtc = Utc(path, "createdAt", rule.CreatedAt);
            if (Utc(path, "updatedAt", rule.UpdatedAt) && createdUtc)
            {
                NotBefore(path, "updatedAt", rule.UpdatedAt, "createdAt", rule.CreatedAt);
            }
        }

        // One address, no display name: "a@b.c" and nothing that parses as a list or a name.
        private static bool IsMailbox(string? value) =>
            !string.IsNullOrWhiteSpace(value) && value.Length <= 254
            && System.Net.Mail.MailAddress.TryCreate(value, out var address) && address.Address == value && address.DisplayName.Length == 0;

        private static string WireName(NotificationChannel channel) => channel switch
        {
            Contracts.NotificationChannel.Webhook => "webhook",
            Contracts.NotificationChannel.Email => "email",
            Contracts.NotificationChannel.Slack => "slack",
            _ => channel.ToString(),
        };

        // The wire takes any offset and its readers (Rfc3339) convert it to UTC, so a value read
        // from JSON always passes the offset check below; what it catches is a value built in code
        // with a local offset, which keys, comparisons and stored copies must never see.
        private bool Utc(string path, string name, DateTimeOffset value)
        {
            if (value == default)
            {
                Add(Member(path, name), "is required");
                return false;
            }
            if (value.Offset != TimeSpan.Zero)
            {
                Add(Member(path, name), Invariant($"must be UTC (offset +00:00), was {value:O}"));
                return false;
            }
            return true;
        }

        private void Event(AnalyticsEvent analyticsEvent, string path)
        {
            if (analyticsEvent.Id == Guid.Empty)
            {
                Add(Member(path, "id"), "must not be the empty GUID");
            }

            var typeKnown = EventTypes.IsKnown(analyticsEvent.Type);
            if (!typeKnown)
            {
                Add(Member(path, "type"), Invariant($"must be one of {string.Join(", ", EventTypes.All)}, was '{analyticsEvent.Type}'"));
            }
            else
            {
                Version(path, analyticsEvent.Type, analyticsEvent.SchemaVersion);
            }

            Id(path, "orgId", analyticsEvent.OrgId);
            Timestamp(path, "occurredAt", analyticsEvent.OccurredAt);
            Timestamp(path, "recordedAt", analyticsEvent.RecordedAt);
            if (analyticsEvent.Trace is not null)
            {
                Trace(analyticsEvent.Trace, Member(path, "trace"));
            }

            Payload(analyticsEvent, Member(path, "payload"), typeKnown);
        }

        // The payload is checked as the contract its type names, so one call covers the envelope
        // and what it carries.
        private void Payload(AnalyticsEvent analyticsEvent, string path, bool typeKnown)
        {
            var payload = analyticsEvent.Payload;
            if (payload.ValueKind == JsonValueKind.Undefined)
            {
                Add(path, "is required");
                return;
            }

            if (payload.ValueKind != JsonValueKind.Object)
            {
                Add(path, Invariant($"must be a JSON object, was {payload.ValueKind}"));
                return;
            }

            if (!typeKnown)
            {
                return;
            }

            if (payload.TryGetProperty("type", out var discriminator)
                && (discriminator.ValueKind != JsonValueKind.String || discriminator.GetString() != analyticsEvent.Type))
            {
                Add(Member(path, "type"), Invariant($"must match the envelope type '{analyticsEvent.Type}', was {discriminator.GetRawText()}"));
                return;
            }

            int payloadVersion;
            try
            {
                var context = AnalyticsJsonContext.Default;
                switch (analyticsEvent.Type)
                {
                    case EventTypes.TrackUpdate:
                        var trackUpdate = payload.Deserialize(context.TrackUpdate)!;
                        TrackUpdate(trackUpdate, path);
                        payloadVersion = trackUpdate.SchemaVersion;
                        break;
                    case EventTypes.ZoneHit:
                        var zoneHit = payload.Deserialize(context.ZoneHit)!;
                        ZoneHit(zoneHit, path);
                        payloadVersion = zoneHit.SchemaVersion;
                        break;
                    case EventTypes.AffectTelemetry:
                        var affect = payload.Deserialize(context.AffectTelemetry)!;
                        AffectTelemetry(affect, path);
                        payloadVersion = affect.SchemaVersion;
                        break;
                    case EventTypes.CameraHeartbeat:
                        var heartbeat = payload.Deserialize(context.CameraHeartbeat)!;
                        ObservationCommon(heartbeat, path, EventTypes.CameraHeartbeat);
                        payloadVersion = heartbeat.SchemaVersion;
                        break;
                    case EventTypes.Signal:
                        var signal = payload.Deserialize(context.Signal)!;
                        Signal(signal, path);
                        payloadVersion = signal.SchemaVersion;
                        break;
                    case EventTypes.Incident:
                        var incident = payload.Deserialize(context.Incident)!;
                        Incident(incident, path);
                        payloadVersion = incident.SchemaVersion;
                        break;
                    default:
                        return;
                }
            }
            catch (JsonException exception)
            {
                var innerPath = exception.Path is { Length: > 1 } jsonPath && jsonPath[0] == '$' ? path + jsonPath[1..] : path;
                Add(innerPath, Invariant($"is not a valid {analyticsEvent.Type}: {exception.Message}"));
                return;
            }

            if (payloadVersion != analyticsEvent.SchemaVersion)
            {
                Add(Member(path, "schemaVersion"), Invariant($"must equal the envelope's schemaVersion {analyticsEvent.SchemaVersion}, was {payloadVersion}"));
            }
        }

        private void Box(BoundingBox box, string path)
        {
            var horizontalValid = BoxEdge(path, "x", box.X, "width", box.Width);
            var verticalValid = BoxEdge(path, "y", box.Y, "height", box.Height);
            if (horizontalValid && box.X + box.Width > 1 + ContractLimits.BoxEpsilon)
            {
                Add(Member(path, "width"), Invariant($"must keep the box inside the image (x + width <= 1), was {box.Width} at x {box.X}"));
            }

            if (verticalValid && box.Y + box.Height > 1 + ContractLimits.BoxEpsilon)
            {
                Add(Member(path, "height"), Invariant($"must keep the box inside the image (y + height <= 1), was {box.Height} at y {box.Y}"));
            }
        }

        /// <returns>Whether origin and extent are individually valid, so their sum is worth checking.</returns>
        private bool BoxEdge(string path, string originName, double origin, string extentName, double extent)
        {
            var originValid = Between(path, originName, origin, 0, 1);
            var extentValid = Finite(path, extentName, extent);
            if (extentValid && extent <= 0)
            {
                Add(Member(path, extentName), Invariant($"must be greater than 0, was {extent}"));
                extentValid = false;
            }

            return originValid && extentValid;
        }

        private void Site(Site site, string path)
        {
            Id(path, "orgId", site.OrgId);
            Id(path, "siteId", site.SiteId);
            Id(path, "name", site.Name);
            TimeZoneId(path, "timeZone", site.TimeZone);
            OptionalText(path, "address", site.Address);
            OptionalText(path, "description", site.Description);
        }

        private void Camera(Camera camera, string path)
        {
            Id(path, "orgId", camera.OrgId);
            Id(path, "cameraId", camera.CameraId);
            Id(path, "siteId", camera.SiteId);
            Id(path, "name", camera.Name);
            OptionalText(path, "description", camera.Description);
            if (camera.OfflineAfterSeconds is { } offlineAfter)
            {
                Between(path, "offlineAfterSeconds", offlineAfter, ContractLimits.MinOfflineAfterSeconds, ContractLimits.MaxOfflineAfterSeconds);
            }
        }

        private void Zone(Zone zone, string path)
        {
            Id(path, "orgId", zone.OrgId);
            Id(path, "siteId", zone.SiteId);
            Id(path, "cameraId", zone.CameraId);
            Id(path, "zoneId", zone.ZoneId);
            Id(path, "name", zone.Name);
            Defined(path, "kind", zone.Kind);
            var polygonPath = Member(path, "polygon");
            if (zone.Polygon is null)
            {
                Add(polygonPath, "is required");
            }
            else if (zone.Polygon.Count < 3)
            {
                Add(polygonPath, Invariant($"must have at least 3 points, had {zone.Polygon.Count}"));
            }
            else
            {
                var pointsValid = true;
                for (var i = 0; i < zone.Polygon.Count; i++)
                {
                    if (zone.Polygon[i] is null)
                    {
                        Add(Index(polygonPath, i), "is required");
                        pointsValid = false;
                    }
                    else
                    {
                        pointsValid &= Point(zone.Polygon[i], Index(polygonPath, i));
                    }
                }

                if (pointsValid && !PolygonGeometry.IsSimple(zone.Polygon))
                {
                    Add(polygonPath, "must be a simple polygon: no self-intersection, no repeated point, non-zero area");
                }
            }

            if (zone.Schedule is not null)
            {
                Schedule(zone.Schedule, Member(path, "schedule"));
            }

            if (zone.Rules is not null)
            {
                ZoneRules(zone, Member(path, "rules"));
            }

            if (zone.Thresholds is { } thresholds)
            {
                var thresholdsPath = Member(path, "thresholds");
                OptionalBetween(thresholdsPath, "loiteringSeconds", thresholds.LoiteringSeconds, 1, 3600);
                OptionalBetween(thresholdsPath, "crowdingCount", thresholds.CrowdingCount, 2, 1000);
                OptionalBetween(thresholdsPath, "crowdingSeconds", thresholds.CrowdingSeconds, 1, 3600);
                OptionalBetween(thresholdsPath, "missingPpeSeconds", thresholds.MissingPpeSeconds, 1, 3600);
                OptionalBetween(thresholdsPath, "lowEngagementThreshold", thresholds.LowEngagementThreshold, 0, 1);
            }
        }

        private void ZoneRules(Zone zone, string path)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < zone.Rules!.Count; i++)
            {
                var name = zone.Rules[i];
                var rule = RuleCatalog.Find(name);
                if (rule is not { IsZoneRule: true })
                {
                    var known = string.Join(", ", RuleCatalog.ZoneRules.Select(r => r.Name));
                    Add(Index(path, i), Invariant($"must be one of the zone rules {known}, was '{name}'"));
                }
                else if (!seen.Add(rule.Name))
                {
                    Add(Index(path, i), Invariant($"must not repeat a rule, '{name}' is listed twice"));
                }
                else if (rule == RuleCatalog.ProductRemoval && zone.Kind is not (ZoneKind.Shelf or ZoneKind.Checkout or ZoneKind.Exit))
                {
                    Add(Index(path, i), Invariant($"product_removal takes its role from a shelf, checkout or exit zone; this zone is a {System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(zone.Kind.ToString())}"));
                }
            }
        }

        private void OptionalBetween(string path, string name, double? value, double minimum, double maximum)
        {
            if (value is { } given)
            {
                Between(path, name, given, minimum, maximum);
            }
        }

        /// <returns>Whether both coordinates are inside the unit square.</returns>
        private bool Point(Point point, string path) =>
            Between(path, "x", point.X, 0, 1) & Between(path, "y", point.Y, 0, 1);

        private void Schedule(ActiveHours schedule, string path)
        {
            TimeZoneId(path, "timeZone", schedule.TimeZone);

            if (schedule.Days is null)
            {
                Add(Member(path, "days"), "is required");
                return;
            }

            for (var i = 0; i < schedule.Days.Count; i++)
            {
                if (!Enum.IsDefined(schedule.Days[i]))
                {
                    Add(Index(Member(path, "days"), i), Invariant($"must be a defined Weekday, was {schedule.Days[i]}"));
                }
            }
        }

        // IANA only: Windows ids resolve on some hosts and not on others, so a stored one could
        // stop working when a service moves.
        private void TimeZoneId(string path, string name, string? value)
        {
            if (value is null)
            {
                Add(Member(path, name), "is required");
            }
            else if (string.IsNullOrWhiteSpace(value))
            {
                Add(Member(path, name), Invariant($"must not be empty or whitespace, was '{value}'"));
            }
            else if (!TimeZoneInfo.TryFindSystemTimeZoneById(value, out var timeZone) || !timeZone.HasIanaId)
            {
                Add(Member(path, name), Invariant($"must be an IANA time zone id such as Europe/Berlin, was '{value}'"));
            }
        }

        private void Trace(TraceContext trace, string path)
        {
            if (string.IsNullOrWhiteSpace(trace.TraceParent))
            {
                Add(Member(path, "traceParent"), Invariant($"must not be empty or whitespace, was '{trace.TraceParent}'"));
            }
            else if (!IsTraceParent(trace.TraceParent))
            {
                Add(Member(path, "traceParent"), Invariant($"must be a W3C traceparent like 00-<32 hex>-<16 hex>-<2 hex> with non-zero ids, was '{trace.TraceParent}'"));
            }
        }

        // W3C Trace Context §3.2: lowercase hex fields, version ff forbidden, all-zero ids invalid,
        // and later versions may append fields after the flags.
        private static bool IsTraceParent(string value)
        {
            const int Version00Length = 55;
            if (value.Length < Version00Length || value[2] != '-' || value[35] != '-' || value[52] != '-')
            {
                return false;
            }

            var version = value.AsSpan(0, 2);
            var traceId = value.AsSpan(3, 32);
            var parentId = value.AsSpan(36, 16);
            var flags = value.AsSpan(53, 2);
            if (!IsLowerHex(version) || !IsLowerHex(traceId) || !IsLowerHex(parentId) || !IsLowerHex(flags))
            {
                return false;
            }

            if (version.SequenceEqual("ff") || !traceId.ContainsAnyExcept('0') || !parentId.ContainsAnyExcept('0'))
            {
                return false;
            }

            return version.SequenceEqual("00") ? value.Length == Version00Length : value.Length == Version00Length || value[Version00Length] == '-';
        }

        private static bool IsLowerHex(ReadOnlySpan<char> span)
        {
            foreach (var character in span)
            {
                if (character is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
                {
                    return false;
                }
            }

            return true;
        }

        private void Id(string path, string name, string? value)
        {
            if (value is null)
            {
                Add(Member(path, name), "is required");
                return;
            }

            IdValue(Member, path, name, value);
        }

        private void OptionalId(string path, string name, string? value)
        {
            if (value is not null)
            {
                IdValue(Member, path, name, value);
            }
        }

        // Omit rather than blank: an empty description would show as a blank line to operators.
        private void OptionalText(string path, string name, string? value)
        {
            if (value is null)
            {
                return;
            }

            if (string.IsNullOrWhiteSpace(value))
            {
                Add(Member(path, name), Invariant($"must not be empty or whitespace when given (omit it instead), was '{value}'"));
            }
            else if (value.Length > ContractLimits.MaxTextLength)
            {
                Add(Member(path, name), Invariant($"must be at most {ContractLimits.MaxTextLength} characters, was {value.Length} characters"));
            }
        }

        /// <returns>Whether the list is present, so callers can add rules on its size.</returns>
        private bool IdList(string path, string name, IReadOnlyList<string>? values)
        {
            if (values is null)
            {
                Add(Member(path, name), "is required");
                return false;
            }

            var listPath = (string?)null;
            for (var i = 0; i < values.Count; i++)
            {
                var value = values[i];
                if (value is null || string.IsNullOrWhiteSpace(value) || value.Length > ContractLimits.MaxIdLength)
                {
                    listPath ??= Member(path, name);
                    IdValue(Index, listPath, i, value);
                }
            }

            return true;
        }

        private void IdValue<TName>(Func<string, TName, string> locate, string path, TName name, string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                Add(locate(path, name), Invariant($"must not be empty or whitespace, was '{value}'"));
            }
            else if (value.Length > ContractLimits.MaxIdLength)
            {
                Add(locate(path, name), Invariant($"must be at most {ContractLimits.MaxIdLength} characters, was {value.Length} characters"));
            }
        }

        private bool Finite(string path, string name, double value)
        {
            if (double.IsFinite(value))
            {
                return true;
            }

            Add(Member(path, name), Invariant($"must be a finite number, was {value}"));
            return false;
        }

        private bool Between(string path, string name, double value, double minimum, double maximum)
        {
            if (!Finite(path, name, value))
            {
                return false;
            }

            if (value >= minimum && value <= maximum)
            {
                return true;
            }

            Add(Member(path, name), Invariant($"must be between {minimum} and {maximum}, was {value}"));
            return false;
        }

        /// <returns>Whether the timestamp is valid, so callers can compare it with others.</returns>
        /// <remarks>The offset check is the one of <see cref="Utc"/>: values read from JSON are already UTC.</remarks>
        private bool Timestamp(string path, string name, DateTimeOffset value)
        {
            if (value == default)
            {
                Add(Member(path, name), "is required");
                return false;
            }

            if (value.Offset != TimeSpan.Zero)
            {
                Add(Member(path, name), Invariant($"must be UTC (offset +00:00), was {value:O}"));
                return false;
            }

            if (value - now > maxFutureSkew)
            {
                Add(Member(path, name), Invariant($"must not be more than {maxFutureSkew.TotalSeconds} seconds in the future, was {value:O} at {now.ToUniversalTime():O}"));
                return false;
            }

            return true;
        }

        private void NotBefore(string path, string name, DateTimeOffset value, string earlierName, DateTimeOffset earlier)
        {
            if (value < earlier)
            {
                Add(Member(path, name), Invariant($"must not be before {earlierName} {earlier:O}, was {value:O}"));
            }
        }

        private void Defined<TEnum>(string path, string name, TEnum value)
            where TEnum : struct, Enum
        {
            if (!Enum.IsDefined(value))
            {
                Add(Member(path, name), Invariant($"must be a defined {typeof(TEnum).Name}, was {value}"));
            }
        }

        private void Version(string path, string type, int version)
        {
            if (!EventTypes.IsSupported(type, version))
            {
                Add(Member(path, "schemaVersion"), Invariant($"must be a supported {type} version ({string.Join(", ", EventTypes.SupportedVersions(type))}), was {version}"));
            }
        }

        private void Add(string path, string message) => (_problems ??= []).Add(new ValidationProblem(path, message));
    }

    private static string Member(string path, string name) => string.Concat(path, ".", name);

    private static string Index(string path, int index) => Invariant($"{path}[{index}]");

    // Dictionary keys are written verbatim, so names that are not plain identifiers need brackets.
    private static string Key(string path, string key)
    {
        var plain = (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return plain ? Member(path, key) : string.Concat(path, "['", key.Replace("'", "\\'", StringComparison.Ordinal), "']");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
