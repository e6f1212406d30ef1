using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// A box in normalized image coordinates: the origin is the top-left corner and the image spans
/// [0, 1] on both axes, so boxes compare across cameras of different resolutions.
/// </summary>
[Description("Box in normalized image coordinates; origin top-left, image spans [0, 1] on both axes.")]
[ContractRule<BoundingBoxRule>]
public sealed record BoundingBox(
    [property: Range(0.0, 1.0), Description("Left edge, fraction of image width.")] double X,
    [property: Range(0.0, 1.0), Description("Top edge, fraction of image height.")] double Y,
    [property: Range(0.0, 1.0, MinimumIsExclusive = true), Description("Width, fraction of image width; greater than 0, x + width <= 1.")] double Width,
    [property: Range(0.0, 1.0, MinimumIsExclusive = true), Description("Height, fraction of image height; greater than 0, y + height <= 1.")] double Height);

/// <summary>The box lies inside the image: x + width and y + height at most 1, within floating-point error.</summary>
internal sealed class BoundingBoxRule : IContractRule<BoundingBox>
{
    public void Check(BoundingBox box, ContractContext context)
    {
        if (EdgeValid(box.X, box.Width) && box.X + box.Width > 1 + ContractLimits.BoxEpsilon)
        {
            context.Report("width", ContractContext.Invariant($"must keep the box inside the image (x + width <= 1), was {box.Width} at x {box.X}"));
        }
        if (EdgeValid(box.Y, box.Height) && box.Y + box.Height > 1 + ContractLimits.BoxEpsilon)
        {
            context.Report("height", ContractContext.Invariant($"must keep the box inside the image (y + height <= 1), was {box.Height} at y {box.Y}"));
        }
    }

    // Only when both passed their own limits is their sum worth a second problem.
    private static bool EdgeValid(double origin, double extent) => origin is >= 0 and <= 1 && extent is > 0 and <= 1;
}
