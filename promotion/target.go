package promotion

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// RefKind says how an S3 URI in a model package is copied.
type RefKind string

// Kinds of S3 references.
const (
	// RefObject is one object (model.tar.gz, a metrics report, a sample payload).
	RefObject RefKind = "object"
	// RefPrefix is every object under a key prefix (ModelDataSource S3Prefix).
	RefPrefix RefKind = "prefix"
)

// Dropped is a field of the source package that the target package does not carry, and why.
type Dropped struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Ref is one S3 URI inside a target package being built. URI and ETag point into the fields of
// the CreateModelPackageInput, so rewriting a Ref rewrites the package.
type Ref struct {
	// Field names the field, such as InferenceSpecification.Containers[0].ModelDataUrl.
	Field string
	Kind  RefKind
	URI   **string
	// ETag, when not nil, is the ETag field that describes the object at URI.
	ETag **string
}

// BuildTarget turns a source package description into the input of CreateModelPackage for the
// target group: every creatable field is kept (deep-copied, so the source is never modified),
// lineage is recorded, and the S3 URIs are returned as Refs for the caller to rewrite. Fields
// that cannot be created in the target account are left out and returned as dropped, with the
// reason:
//
//   - ValidationSpecification names a ValidationRole of the source account, which the target
//     account cannot pass (CreateModelPackage would fail); the validation ran in the source.
//   - SecurityConfig names a KMS key of the source account; the target chooses its own.
func BuildTarget(src *sagemaker.DescribeModelPackageOutput, targetGroup string, status types.ModelApprovalStatus) (*sagemaker.CreateModelPackageInput, []Ref, []Dropped) {
	in := &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName:        aws.String(targetGroup),
		ModelPackageDescription:      src.ModelPackageDescription,
		ModelApprovalStatus:          status,
		CertifyForMarketplace:        src.CertifyForMarketplace,
		Domain:                       src.Domain,
		Task:                         src.Task,
		SamplePayloadUrl:             src.SamplePayloadUrl,
		SkipModelValidation:          src.SkipModelValidation,
		SourceUri:                    src.SourceUri,
		ModelPackageRegistrationType: src.ModelPackageRegistrationType,
		CustomerMetadataProperties:   maps.Clone(src.CustomerMetadataProperties),
	}
	if in.CustomerMetadataProperties == nil {
		in.CustomerMetadataProperties = map[string]string{}
	}
	in.CustomerMetadataProperties[LineageKey] = deref(src.ModelPackageArn)
	in.Tags = []types.Tag{{Key: aws.String(LineageKey), Value: src.ModelPackageArn}}
	if src.MetadataProperties != nil {
		v := *src.MetadataProperties
		in.MetadataProperties = &v
	}
	if src.ModelCard != nil {
		v := *src.ModelCard
		in.ModelCard = &v
	}
	if src.ModelLifeCycle != nil {
		v := *src.ModelLifeCycle
		in.ModelLifeCycle = &v
	}
	var dropped []Dropped
	if v := src.ValidationSpecification; v != nil {
		dropped = append(dropped, Dropped{Field: "ValidationSpecification", Reason: fmt.Sprintf(
			"its ValidationRole %s belongs to the source account and cannot be passed by the target account; the validation (%d profile(s)) ran in the source account, so its inputs are not copied",
			deref(v.ValidationRole), len(v.ValidationProfiles))})
	}
	if c := src.SecurityConfig; c != nil {
		dropped = append(dropped, Dropped{Field: "SecurityConfig", Reason: fmt.Sprintf(
			"its KMS key %s belongs to the source account; the target package is encrypted as the target account chooses", deref(c.KmsKeyId))})
	}

	var refs []Ref
	add := func(field string, kind RefKind, uri **string, etag **string) {
		if *uri != nil && **uri != "" {
			refs = append(refs, Ref{Field: field, Kind: kind, URI: uri, ETag: etag})
		}
	}
	add("SamplePayloadUrl", RefObject, &in.SamplePayloadUrl, nil)
	if in.SourceUri != nil && len(*in.SourceUri) > 5 && (*in.SourceUri)[:5] == "s3://" {
		kind := RefObject
		if (*in.SourceUri)[len(*in.SourceUri)-1] == '/' {
			kind = RefPrefix
		}
		add("SourceUri", kind, &in.SourceUri, nil)
	}

	containers := func(field string, cs []types.ModelPackageContainerDefinition) []types.ModelPackageContainerDefinition {
		cs = slices.Clone(cs)
		for i := range cs {
			c := &cs[i]
			f := fmt.Sprintf("%s[%d]", field, i)
			c.Environment = maps.Clone(c.Environment)
			add(f+".ModelDataUrl", RefObject, &c.ModelDataUrl, &c.ModelDataETag)
			c.ModelDataSource = modelDataSource(f+".ModelDataSource", c.ModelDataSource, add)
			if c.AdditionalS3DataSource != nil {
				v := *c.AdditionalS3DataSource
				c.AdditionalS3DataSource = &v
				kind := RefObject
				if v.S3DataType == types.AdditionalS3DataSourceDataTypeS3prefix {
					kind = RefPrefix
				}
				add(f+".AdditionalS3DataSource.S3Uri", kind, &c.AdditionalS3DataSource.S3Uri, &c.AdditionalS3DataSource.ETag)
			}
			c.AdditionalModelDataSources = slices.Clone(c.AdditionalModelDataSources)
			for j := range c.AdditionalModelDataSources {
				a := &c.AdditionalModelDataSources[j]
				a.S3DataSource = s3ModelDataSource(fmt.Sprintf("%s.AdditionalModelDataSources[%d].S3DataSource", f, j), a.S3DataSource, add)
			}
			if c.ModelInput != nil {
				v := *c.ModelInput
				c.ModelInput = &v
			}
			if c.BaseModel != nil {
				v := *c.BaseModel
				c.BaseModel = &v
			}
		}
		return cs
	}

	if src.InferenceSpecification != nil {
		v := *src.InferenceSpecification
		v.Containers = containers("InferenceSpecification.Containers", v.Containers)
		v.SupportedContentTypes = slices.Clone(v.SupportedContentTypes)
		v.SupportedResponseMIMETypes = slices.Clone(v.SupportedResponseMIMETypes)
		v.SupportedRealtimeInferenceInstanceTypes = slices.Clone(v.SupportedRealtimeInferenceInstanceTypes)
		v.SupportedTransformInstanceTypes = slices.Clone(v.SupportedTransformInstanceTypes)
		in.InferenceSpecification = &v
	}
	in.AdditionalInferenceSpecifications = slices.Clone(src.AdditionalInferenceSpecifications)
	for i := range in.AdditionalInferenceSpecifications {
		a := &in.AdditionalInferenceSpecifications[i]
		a.Containers = containers(fmt.Sprintf("AdditionalInferenceSpecifications[%d].Containers", i), a.Containers)
	}
	if src.SourceAlgorithmSpecification != nil {
		v := *src.SourceAlgorithmSpecification
		v.SourceAlgorithms = slices.Clone(v.SourceAlgorithms)
		for i := range v.SourceAlgorithms {
			a := &v.SourceAlgorithms[i]
			f := fmt.Sprintf("SourceAlgorithmSpecification.SourceAlgorithms[%d]", i)
			add(f+".ModelDataUrl", RefObject, &a.ModelDataUrl, &a.ModelDataETag)
			a.ModelDataSource = modelDataSource(f+".ModelDataSource", a.ModelDataSource, add)
		}
		in.SourceAlgorithmSpecification = &v
	}
	if m := src.ModelMetrics; m != nil {
		out := &types.ModelMetrics{}
		if m.ModelQuality != nil {
			out.ModelQuality = &types.ModelQuality{
				Statistics:  metrics("ModelMetrics.ModelQuality.Statistics", m.ModelQuality.Statistics, add),
				Constraints: metrics("ModelMetrics.ModelQuality.Constraints", m.ModelQuality.Constraints, add),
			}
		}
		if m.ModelDataQuality != nil {
			out.ModelDataQuality = &types.ModelDataQuality{
				Statistics:  metrics("ModelMetrics.ModelDataQuality.Statistics", m.ModelDataQuality.Statistics, add),
				Constraints: metrics("ModelMetrics.ModelDataQuality.Constraints", m.ModelDataQuality.Constraints, add),
			}
		}
		if m.Bias != nil {
			out.Bias = &types.Bias{
				Report:             metrics("ModelMetrics.Bias.Report", m.Bias.Report, add),
				PreTrainingReport:  metrics("ModelMetrics.Bias.PreTrainingReport", m.Bias.PreTrainingReport, add),
				PostTrainingReport: metrics("ModelMetrics.Bias.PostTrainingReport", m.Bias.PostTrainingReport, add),
			}
		}
		if m.Explainability != nil {
			out.Explainability = &types.Explainability{
				Report: metrics("ModelMetrics.Explainability.Report", m.Explainability.Report, add),
			}
		}
		in.ModelMetrics = out
	}
	if d := src.DriftCheckBaselines; d != nil {
		out := &types.DriftCheckBaselines{}
		if d.Bias != nil {
			out.Bias = &types.DriftCheckBias{
				ConfigFile:              file("DriftCheckBaselines.Bias.ConfigFile", d.Bias.ConfigFile, add),
				PreTrainingConstraints:  metrics("DriftCheckBaselines.Bias.PreTrainingConstraints", d.Bias.PreTrainingConstraints, add),
				PostTrainingConstraints: metrics("DriftCheckBaselines.Bias.PostTrainingConstraints", d.Bias.PostTrainingConstraints, add),
			}
		}
		if d.Explainability != nil {
			out.Explainability = &types.DriftCheckExplainability{
				ConfigFile:  file("DriftCheckBaselines.Explainability.ConfigFile", d.Explainability.ConfigFile, add),
				Constraints: metrics("DriftCheckBaselines.Explainability.Constraints", d.Explainability.Constraints, add),
			}
		}
		if d.ModelQuality != nil {
			out.ModelQuality = &types.DriftCheckModelQuality{
				Statistics:  metrics("DriftCheckBaselines.ModelQuality.Statistics", d.ModelQuality.Statistics, add),
				Constraints: metrics("DriftCheckBaselines.ModelQuality.Constraints", d.ModelQuality.Constraints, add),
			}
		}
		if d.ModelDataQuality != nil {
			out.ModelDataQuality = &types.DriftCheckModelDataQuality{
				Statistics:  metrics("DriftCheckBaselines.ModelDataQuality.Statistics", d.ModelDataQuality.Statistics, add),
				Constraints: metrics("DriftCheckBaselines.ModelDataQuality.Constraints", d.ModelDataQuality.Constraints, add),
			}
		}
		in.DriftCheckBaselines = out
	}
	return in, refs, dropped
}

// MaxTags is the most tags a SageMaker resource can have.
const MaxTags = 50

// SourceTags returns the target package's tags: the source package's tags, then the lineage tag
// (LineageKey = sourceARN), which wins over a source tag of the same key. Left out, and returned
// as dropped: "aws:" keys (reserved, set by AWS), the SageMaker project tags (ProjectIDTag,
// ProjectNameTag: they name a project of the source account), and tags beyond MaxTags.
func SourceTags(tags []types.Tag, sourceARN string) ([]types.Tag, []Dropped) {
	var out []types.Tag
	var dropped []Dropped
	over := 0
	for _, t := range tags {
		k := aws.ToString(t.Key)
		switch {
		case strings.HasPrefix(k, "aws:"), k == LineageKey:
		case k == ProjectIDTag || k == ProjectNameTag:
			dropped = append(dropped, Dropped{Field: "Tags." + k, Reason: "names a SageMaker project of the source account; tag the target group with --project-id/--project-name instead"})
		case len(out) >= MaxTags-1:
			over++
		default:
			out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(aws.ToString(t.Value))})
		}
	}
	if over > 0 {
		dropped = append(dropped, Dropped{Field: "Tags", Reason: fmt.Sprintf("%d source tag(s) over SageMaker's limit of %d tags (one is the lineage tag)", over, MaxTags)})
	}
	return append(out, types.Tag{Key: aws.String(LineageKey), Value: aws.String(sourceARN)}), dropped
}

type addFunc func(field string, kind RefKind, uri **string, etag **string)

func modelDataSource(field string, m *types.ModelDataSource, add addFunc) *types.ModelDataSource {
	if m == nil {
		return nil
	}
	return &types.ModelDataSource{S3DataSource: s3ModelDataSource(field+".S3DataSource", m.S3DataSource, add)}
}

func s3ModelDataSource(field string, s *types.S3ModelDataSource, add addFunc) *types.S3ModelDataSource {
	if s == nil {
		return nil
	}
	v := *s
	kind := RefPrefix
	if v.S3DataType == types.S3ModelDataTypeS3Object {
		kind = RefObject
	}
	add(field+".S3Uri", kind, &v.S3Uri, &v.ETag)
	add(field+".ManifestS3Uri", RefObject, &v.ManifestS3Uri, &v.ManifestEtag)
	if v.ModelAccessConfig != nil {
		c := *v.ModelAccessConfig
		v.ModelAccessConfig = &c
	}
	if v.HubAccessConfig != nil {
		c := *v.HubAccessConfig
		v.HubAccessConfig = &c
	}
	return &v
}

func metrics(field string, m *types.MetricsSource, add addFunc) *types.MetricsSource {
	if m == nil {
		return nil
	}
	v := *m
	add(field+".S3Uri", RefObject, &v.S3Uri, nil)
	return &v
}

func file(field string, m *types.FileSource, add addFunc) *types.FileSource {
	if m == nil {
		return nil
	}
	v := *m
	add(field+".S3Uri", RefObject, &v.S3Uri, nil)
	return &v
}

// ClientToken is the CreateModelPackage idempotency token of the copy of sourceARN in
// targetGroup: the same promotion always sends the same token, so an SDK retry after a lost
// answer returns the package the first call created instead of registering a duplicate.
func ClientToken(sourceARN, targetGroup string) string {
	sum := sha256.Sum256([]byte(sourceARN + "\n" + targetGroup))
	return "smcd-" + hex.EncodeToString(sum[:15])
}
