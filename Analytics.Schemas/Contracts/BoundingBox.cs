using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// A box in normalized image coordinates: the origin is the top-left corner and the image spans
/// [0, 1] on both axes, so boxes compare across cameras of different resolutions.
/// </summary>
[Description("Box in normalized image coordinates; origin top-left, image spans [0, 1] on both axes.")]
public sealed record BoundingBox(
    [property: Range(0.0, 1.0), Description("Left edge, fraction of image width.")] double X,
    [property: Range(0.0, 1.0), Description("Top edge, fraction of image height.")] double Y,
    [property: Range(0.0, 1.0, MinimumIsExclusive = true), Description("Width, fraction of image width; greater than 0, x + width <= 1.")] double Width,
    [property: Range(0.0, 1.0, MinimumIsExclusive = true), Description("Height, fraction of image height; greater than 0, y + height <= 1.")] double Height);
