using System.Text.Json.Serialization;
using Analytics.Schemas.Serialization;

namespace Analytics.Schemas.Contracts;

/// <summary>The analytics domain that produced a signal or owns an incident.</summary>
[JsonConverter(typeof(StrictEnumConverter<Domain>))]
public enum Domain
{
    [JsonStringEnumMemberName("antitheft")] Antitheft,
    [JsonStringEnumMemberName("safety")] Safety,
    [JsonStringEnumMemberName("education")] Education,

    /// <summary>The platform's own health, e.g. a camera that stopped sending.</summary>
    [JsonStringEnumMemberName("platform")] Platform,
}

/// <summary>How urgently a human should look at a signal or incident, in ascending order.</summary>
[JsonConverter(typeof(StrictEnumConverter<Severity>))]
public enum Severity
{
    [JsonStringEnumMemberName("info")] Info,
    [JsonStringEnumMemberName("low")] Low,
    [JsonStringEnumMemberName("medium")] Medium,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("critical")] Critical,
}

[JsonConverter(typeof(StrictEnumConverter<IncidentStatus>))]
public enum IncidentStatus
{
    [JsonStringEnumMemberName("open")] Open,
    [JsonStringEnumMemberName("acknowledged")] Acknowledged,
    [JsonStringEnumMemberName("resolved")] Resolved,
}

[JsonConverter(typeof(StrictEnumConverter<ZoneTransition>))]
public enum ZoneTransition
{
    [JsonStringEnumMemberName("enter")] Enter,
    [JsonStringEnumMemberName("exit")] Exit,
}
