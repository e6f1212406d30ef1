using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// One camera of a site. Observations name it by <see cref="CameraId"/>, and zones are drawn in
/// its image.
/// </summary>
[Description("Camera at a site of one organization; observations and zones name it by cameraId.")]
public sealed record Camera
{
    [Id, Description("Organization that owns the camera.")]
    public required string OrgId { get; init; }

    [Id, Description("Camera id, unique within the organization; the cameraId observations carry.")]
    public required string CameraId { get; init; }

    [Id, Description("Site the camera belongs to; it must exist.")]
    public required string SiteId { get; init; }

    [Id, Description("Name shown to operators.")]
    public required string Name { get; init; }

    [Text, Description("Notes for operators, e.g. where it is mounted. Omitted: none.")]
    public string? Description { get; init; }

    // A camera that reports only on motion is silent for long stretches and needs a longer
    // threshold than the organization's always-on cameras.
    [Range(ContractLimits.MinOfflineAfterSeconds, ContractLimits.MaxOfflineAfterSeconds)]
    [Description("Seconds of silence after which the camera counts as offline. Omitted: Fusion:CameraOfflineSeconds applies.")]
    public int? OfflineAfterSeconds { get; init; }
}
