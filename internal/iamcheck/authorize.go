package iamcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Partition is the partition every ARN the checker builds is in.
const Partition = "aws"

// Request is one authorization AWS makes for a call: the caller's role may perform Action on
// Resource, owned by ResourceAccount, given Context.
type Request struct {
	// Role is the calling role's name (Call.Role).
	Role string
	// Action is the IAM action, such as "sagemaker:UpdateEndpoint".
	Action string
	// Resource is the ARN AWS authorizes on; it ends in "/*" for a listing.
	Resource string
	// ResourceAccount owns the resource.
	ResourceAccount string
	// Context holds the request context keys AWS sets for it (string or []string values).
	Context map[string]any
	// Call describes the API call the request is for.
	Call string
	// CallDenied is true when the call itself was answered AccessDenied (by the emulator's
	// resource policy checks): a denial of the request is then what the runtime already met
	// and handled.
	CallDenied bool
}

// Facts answers what a call's IAM requests depend on beyond its input and output: who owns a
// bucket, which KMS key encrypts an object or a bucket by default, which key an endpoint config
// names. Emulator implements it by asking the emulator.
type Facts interface {
	// BucketOwner returns the account that owns bucket.
	BucketOwner(bucket string) (string, error)
	// Object returns the ARN of the KMS key that encrypts an object ("" for none) and whether
	// it has tags.
	Object(ctx context.Context, bucket, key, versionID string) (kmsKeyARN string, tagged bool, err error)
	// BucketKey returns the ARN of the bucket's default KMS key ("" for none).
	BucketKey(ctx context.Context, bucket string) (string, error)
	// EndpointConfigKey returns the KmsKeyId of an endpoint config as a key ARN ("" for none).
	EndpointConfigKey(ctx context.Context, account, region, name string) (string, error)
}

// call is one call under authorization: the caller's account and region, and what it adds.
type call struct {
	Call
	ctx     context.Context
	account string
	facts   Facts
	what    string
	out     []Request
}

func (c *call) add(action, resource, owner string, context map[string]any) {
	ctx := map[string]any{
		"aws:SecureTransport":  "true",
		"aws:RequestedRegion":  c.Region,
		"aws:PrincipalAccount": c.account,
	}
	for k, v := range context {
		ctx[k] = v
	}
	c.out = append(c.out, Request{Role: c.Role, Action: action, Resource: resource, ResourceAccount: owner, Context: ctx, Call: c.what, CallDenied: accessDenied(c.Err)})
}

// Authorize returns the IAM requests AWS makes for call c, made from account.
func Authorize(ctx context.Context, c Call, account string, facts Facts) ([]Request, error) {
	a := &call{Call: c, ctx: ctx, account: account, facts: facts, what: c.Service + " " + c.Operation}
	var err error
	switch c.Service {
	case "SageMaker":
		err = a.sagemaker()
	case "S3":
		err = a.s3()
	case "DynamoDB":
		err = a.dynamodb()
	case "KMS":
		err = a.kms()
	case "STS":
		err = a.sts()
	case "CloudFormation":
		err = a.cloudformation()
	default:
		err = fmt.Errorf("no IAM mapping for service %q", c.Service)
	}
	if err != nil {
		return nil, fmt.Errorf("authorize %s: %w", a.what, err)
	}
	return a.out, nil
}

// sagemakerARN is the ARN SageMaker authorizes on: names lower-cased, as SageMaker writes
// them. nameOrARN may be a name (in the caller's account and region) or an ARN of any case.
func (c *call) sagemakerARN(typ, nameOrARN string) (string, string, error) {
	if strings.HasPrefix(nameOrARN, "arn:") {
		p, err := arn.Parse(nameOrARN)
		if err != nil {
			return "", "", err
		}
		t, name, ok := strings.Cut(p.Resource, "/")
		if !ok {
			return "", "", fmt.Errorf("SageMaker ARN %q: expected TYPE/NAME", nameOrARN)
		}
		p.Resource = t + "/" + strings.ToLower(name)
		return p.String(), p.AccountID, nil
	}
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s/%s", Partition, c.Region, c.account, typ, strings.ToLower(nameOrARN)), c.account, nil
}

func (c *call) sagemakerOn(action, typ, nameOrARN string) error {
	r, owner, err := c.sagemakerARN(typ, nameOrARN)
	if err != nil {
		return err
	}
	c.what = fmt.Sprintf("SageMaker %s %s", c.Operation, nameOrARN)
	c.add(action, r, owner, nil)
	return nil
}

func tagContext(tags []smtypes.Tag) map[string]any {
	ctx := map[string]any{}
	var keys []string
	for _, t := range tags {
		keys = append(keys, aws.ToString(t.Key))
		ctx["aws:RequestTag/"+aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	ctx["aws:TagKeys"] = keys
	return ctx
}

func (c *call) sagemaker() error {
	switch in := c.Input.(type) {
	case *sagemaker.DescribeEndpointInput:
		return c.sagemakerOn("sagemaker:DescribeEndpoint", "endpoint", aws.ToString(in.EndpointName))
	case *sagemaker.DescribeEndpointConfigInput:
		return c.sagemakerOn("sagemaker:DescribeEndpointConfig", "endpoint-config", aws.ToString(in.EndpointConfigName))
	case *sagemaker.UpdateEndpointInput:
		// Authorized on the endpoint and on the endpoint config it moves to.
		c.what = fmt.Sprintf("SageMaker UpdateEndpoint %s to %s", aws.ToString(in.EndpointName), aws.ToString(in.EndpointConfigName))
		ep, owner, err := c.sagemakerARN("endpoint", aws.ToString(in.EndpointName))
		if err != nil {
			return err
		}
		c.add("sagemaker:UpdateEndpoint", ep, owner, nil)
		cfg, owner, err := c.sagemakerARN("endpoint-config", aws.ToString(in.EndpointConfigName))
		if err != nil {
			return err
		}
		c.add("sagemaker:UpdateEndpoint", cfg, owner, nil)
		// With auto-rollback alarms, SageMaker reads them as the caller.
		if d := in.DeploymentConfig; d != nil && d.AutoRollbackConfiguration != nil {
			for _, al := range d.AutoRollbackConfiguration.Alarms {
				c.add("cloudwatch:DescribeAlarms", fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", Partition, c.Region, c.account, aws.ToString(al.AlarmName)), c.account, nil)
			}
		}
		// A config with KmsKeyId: SageMaker creates a grant on the key for the new fleet's
		// volumes, as the caller.
		key, err := c.facts.EndpointConfigKey(c.ctx, c.account, c.Region, aws.ToString(in.EndpointConfigName))
		if err != nil {
			return err
		}
		if key != "" {
			owner := arnAccount(key)
			via := map[string]any{"kms:ViaService": "sagemaker." + c.Region + ".amazonaws.com", "kms:CallerAccount": c.account}
			c.add("kms:DescribeKey", key, owner, via)
			grant := map[string]any{"kms:GrantIsForAWSResource": "true"}
			for k, v := range via {
				grant[k] = v
			}
			c.add("kms:CreateGrant", key, owner, grant)
		}
		return nil
	case *sagemaker.DescribeModelPackageGroupInput:
		return c.sagemakerOn("sagemaker:DescribeModelPackageGroup", "model-package-group", aws.ToString(in.ModelPackageGroupName))
	case *sagemaker.ListModelPackagesInput:
		// Authorized on the group's packages.
		group := aws.ToString(in.ModelPackageGroupName)
		r, owner, err := c.sagemakerARN("model-package-group", group)
		if err != nil {
			return err
		}
		c.what = "SageMaker ListModelPackages " + group
		c.add("sagemaker:ListModelPackages", strings.Replace(r, ":model-package-group/", ":model-package/", 1)+"/*", owner, nil)
		return nil
	case *sagemaker.DescribeModelPackageInput:
		return c.sagemakerOn("sagemaker:DescribeModelPackage", "model-package", aws.ToString(in.ModelPackageName))
	case *sagemaker.UpdateModelPackageInput:
		return c.sagemakerOn("sagemaker:UpdateModelPackage", "model-package", aws.ToString(in.ModelPackageArn))
	case *sagemaker.DeleteModelPackageInput:
		return c.sagemakerOn("sagemaker:DeleteModelPackage", "model-package", aws.ToString(in.ModelPackageName))
	case *sagemaker.ListTagsInput:
		r, owner, err := c.sagemakerARN("", aws.ToString(in.ResourceArn))
		if err != nil {
			return err
		}
		c.what = "SageMaker ListTags " + aws.ToString(in.ResourceArn)
		c.add("sagemaker:ListTags", r, owner, nil)
		return nil
	case *sagemaker.AddTagsInput:
		r, owner, err := c.sagemakerARN("", aws.ToString(in.ResourceArn))
		if err != nil {
			return err
		}
		c.what = "SageMaker AddTags " + aws.ToString(in.ResourceArn)
		c.add("sagemaker:AddTags", r, owner, tagContext(in.Tags))
		return nil
	case *sagemaker.CreateModelPackageGroupInput:
		if err := c.sagemakerOn("sagemaker:CreateModelPackageGroup", "model-package-group", aws.ToString(in.ModelPackageGroupName)); err != nil {
			return err
		}
		if len(in.Tags) > 0 {
			// Tagging on create is authorized as sagemaker:AddTags on the new resource.
			last := c.out[len(c.out)-1]
			c.add("sagemaker:AddTags", last.Resource, last.ResourceAccount, tagContext(in.Tags))
		}
		return nil
	case *sagemaker.CreateModelPackageInput:
		group := aws.ToString(in.ModelPackageGroupName)
		r, owner, err := c.sagemakerARN("model-package-group", group)
		if err != nil {
			return err
		}
		resource := strings.Replace(r, ":model-package-group/", ":model-package/", 1) + "/*"
		if out, ok := c.Output.(*sagemaker.CreateModelPackageOutput); ok && out.ModelPackageArn != nil {
			if resource, owner, err = c.sagemakerARN("model-package", aws.ToString(out.ModelPackageArn)); err != nil {
				return err
			}
		}
		c.what = "SageMaker CreateModelPackage in " + group
		c.add("sagemaker:CreateModelPackage", resource, owner, nil)
		if len(in.Tags) > 0 {
			c.add("sagemaker:AddTags", resource, owner, tagContext(in.Tags))
		}
		return nil
	}
	return fmt.Errorf("no IAM mapping for input %T", c.Input)
}

// accessDenied reports an AWS answer that refuses a call for lack of permission.
func accessDenied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && strings.Contains(api.ErrorCode(), "AccessDenied")
}

func arnAccount(s string) string {
	p, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return p.AccountID
}

func (c *call) dynamodb() error {
	var table string
	switch in := c.Input.(type) {
	case *dynamodb.GetItemInput:
		table = aws.ToString(in.TableName)
	case *dynamodb.PutItemInput:
		table = aws.ToString(in.TableName)
	case *dynamodb.UpdateItemInput:
		table = aws.ToString(in.TableName)
	case *dynamodb.DeleteItemInput:
		table = aws.ToString(in.TableName)
	default:
		return fmt.Errorf("no IAM mapping for input %T", c.Input)
	}
	r := table
	if !strings.HasPrefix(table, "arn:") {
		r = fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", Partition, c.Region, c.account, table)
	}
	c.what = "DynamoDB " + c.Operation + " " + table
	c.add("dynamodb:"+c.Operation, r, arnAccount(r), nil)
	return nil
}

func (c *call) kms() error {
	var key string
	switch in := c.Input.(type) {
	case *kms.DescribeKeyInput:
		key = aws.ToString(in.KeyId)
	default:
		return fmt.Errorf("no IAM mapping for input %T", c.Input)
	}
	r := c.keyARN(key, c.account)
	c.what = "KMS " + c.Operation + " " + key
	c.add("kms:"+c.Operation, r, arnAccount(r), map[string]any{"kms:CallerAccount": c.account})
	return nil
}

func (c *call) sts() error {
	switch in := c.Input.(type) {
	case *sts.AssumeRoleInput:
		c.what = "STS AssumeRole " + aws.ToString(in.RoleArn)
		c.add("sts:AssumeRole", aws.ToString(in.RoleArn), arnAccount(aws.ToString(in.RoleArn)), nil)
		return nil
	case *sts.GetCallerIdentityInput:
		return nil // needs no permission
	}
	return fmt.Errorf("no IAM mapping for input %T", c.Input)
}

func (c *call) cloudformation() error {
	in, ok := c.Input.(*cloudformation.DescribeStacksInput)
	if !ok {
		return fmt.Errorf("no IAM mapping for input %T", c.Input)
	}
	name := aws.ToString(in.StackName)
	r := name
	if !strings.HasPrefix(name, "arn:") {
		r = fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/*", Partition, c.Region, c.account, name)
	}
	c.what = "CloudFormation DescribeStacks " + name
	c.add("cloudformation:DescribeStacks", r, c.account, nil)
	return nil
}

// keyARN turns a key ID or ARN (as S3 and SageMaker report them) into the key's ARN.
func (c *call) keyARN(key, owner string) string {
	if key == "" || strings.HasPrefix(key, "arn:") {
		return key
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", Partition, c.Region, owner, key)
}

// object is an S3 object a call reads or writes.
type object struct{ bucket, key, version string }

func (o object) arn() string { return fmt.Sprintf("arn:%s:s3:::%s/%s", Partition, o.bucket, o.key) }

// copySource parses CopySource: "bucket/key?versionId=v", URL-encoded.
func copySource(s string) (object, error) {
	path, query, _ := strings.Cut(s, "?")
	p, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	if err != nil {
		return object{}, fmt.Errorf("copy source %q: %w", s, err)
	}
	b, k, ok := strings.Cut(p, "/")
	if !ok {
		return object{}, fmt.Errorf("copy source %q: expected BUCKET/KEY", s)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return object{}, fmt.Errorf("copy source %q: %w", s, err)
	}
	return object{bucket: b, key: k, version: q.Get("versionId")}, nil
}

// s3On adds an S3 request on a bucket (key "") or object, with s3:ResourceAccount.
func (c *call) s3On(action string, o object, extra map[string]any) error {
	owner, err := c.facts.BucketOwner(o.bucket)
	if err != nil {
		return err
	}
	r := fmt.Sprintf("arn:%s:s3:::%s", Partition, o.bucket)
	if o.key != "" {
		r = o.arn()
	}
	ctx := map[string]any{"s3:ResourceAccount": owner}
	for k, v := range extra {
		ctx[k] = v
	}
	c.add(action, r, owner, ctx)
	return nil
}

// kmsVia adds a KMS request S3 makes on the caller's behalf for object o.
func (c *call) kmsVia(action, key string, o object) error {
	if key == "" {
		return nil
	}
	owner, err := c.facts.BucketOwner(o.bucket)
	if err != nil {
		return err
	}
	r := c.keyARN(key, owner)
	c.add(action, r, arnAccount(r), map[string]any{
		"kms:ViaService":                   "s3." + c.Region + ".amazonaws.com",
		"kms:CallerAccount":                c.account,
		"kms:EncryptionContext:aws:s3:arn": o.arn(),
		"aws:CalledVia":                    []string{"s3.amazonaws.com"},
	})
	return nil
}

// targetKey is the KMS key that encrypts a new object: the one the request names, else the one
// S3 reports, else the bucket's default.
func (c *call) targetKey(bucket string, requested, reported *string, sse s3types.ServerSideEncryption) (string, error) {
	if k := aws.ToString(requested); k != "" {
		return k, nil
	}
	if k := aws.ToString(reported); k != "" && (sse == s3types.ServerSideEncryptionAwsKms || sse == s3types.ServerSideEncryptionAwsKmsDsse) {
		return k, nil
	}
	return c.facts.BucketKey(c.ctx, bucket)
}

func versioned(o object, plain, version string) string {
	if o.version != "" {
		return version
	}
	return plain
}

// readSource adds the source side of a copy: the object (its version when pinned), its tags
// when copied, and the decryption of an SSE-KMS source.
func (c *call) readSource(src object, copyTags bool) (tagged bool, err error) {
	if err := c.s3On(versioned(src, "s3:GetObject", "s3:GetObjectVersion"), src, nil); err != nil {
		return false, err
	}
	owner, err := c.facts.BucketOwner(src.bucket)
	if err != nil {
		return false, err
	}
	key, tagged, err := c.facts.Object(c.ctx, src.bucket, src.key, src.version)
	if err != nil {
		return false, err
	}
	if copyTags && tagged {
		if err := c.s3On(versioned(src, "s3:GetObjectTagging", "s3:GetObjectVersionTagging"), src, nil); err != nil {
			return false, err
		}
	}
	return tagged, c.kmsVia("kms:Decrypt", c.keyARN(key, owner), src)
}

func (c *call) s3() error {
	switch in := c.Input.(type) {
	case *s3.HeadObjectInput:
		o := object{aws.ToString(in.Bucket), aws.ToString(in.Key), aws.ToString(in.VersionId)}
		c.what = "S3 HeadObject s3://" + o.bucket + "/" + o.key
		return c.s3On(versioned(o, "s3:GetObject", "s3:GetObjectVersion"), o, nil)
	case *s3.GetObjectTaggingInput:
		o := object{aws.ToString(in.Bucket), aws.ToString(in.Key), aws.ToString(in.VersionId)}
		c.what = "S3 GetObjectTagging s3://" + o.bucket + "/" + o.key
		return c.s3On(versioned(o, "s3:GetObjectTagging", "s3:GetObjectVersionTagging"), o, nil)
	case *s3.GetObjectAttributesInput:
		o := object{aws.ToString(in.Bucket), aws.ToString(in.Key), aws.ToString(in.VersionId)}
		c.what = "S3 GetObjectAttributes s3://" + o.bucket + "/" + o.key
		return c.s3On(versioned(o, "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"), o, nil)
	case *s3.ListObjectsV2Input:
		o := object{bucket: aws.ToString(in.Bucket)}
		c.what = "S3 ListObjectsV2 s3://" + o.bucket + "/" + aws.ToString(in.Prefix)
		return c.s3On("s3:ListBucket", o, map[string]any{"s3:prefix": aws.ToString(in.Prefix)})
	case *s3.ListMultipartUploadsInput:
		o := object{bucket: aws.ToString(in.Bucket)}
		c.what = "S3 ListMultipartUploads s3://" + o.bucket
		return c.s3On("s3:ListBucketMultipartUploads", o, nil)
	case *s3.ListPartsInput:
		o := object{bucket: aws.ToString(in.Bucket), key: aws.ToString(in.Key)}
		c.what = "S3 ListParts s3://" + o.bucket + "/" + o.key
		return c.s3On("s3:ListMultipartUploadParts", o, nil)
	case *s3.AbortMultipartUploadInput:
		o := object{bucket: aws.ToString(in.Bucket), key: aws.ToString(in.Key)}
		c.what = "S3 AbortMultipartUpload s3://" + o.bucket + "/" + o.key
		return c.s3On("s3:AbortMultipartUpload", o, nil)
	case *s3.CopyObjectInput:
		src, err := copySource(aws.ToString(in.CopySource))
		if err != nil {
			return err
		}
		dst := object{bucket: aws.ToString(in.Bucket), key: aws.ToString(in.Key)}
		c.what = fmt.Sprintf("S3 CopyObject s3://%s/%s to s3://%s/%s", src.bucket, src.key, dst.bucket, dst.key)
		copyTags := in.TaggingDirective != s3types.TaggingDirectiveReplace
		tagged, err := c.readSource(src, copyTags)
		if err != nil {
			return err
		}
		if err := c.s3On("s3:PutObject", dst, nil); err != nil {
			return err
		}
		if (copyTags && tagged) || (!copyTags && aws.ToString(in.Tagging) != "") {
			if err := c.s3On("s3:PutObjectTagging", dst, nil); err != nil {
				return err
			}
		}
		var reported *string
		var sse s3types.ServerSideEncryption
		if out, ok := c.Output.(*s3.CopyObjectOutput); ok {
			reported, sse = out.SSEKMSKeyId, out.ServerSideEncryption
		}
		key, err := c.targetKey(dst.bucket, in.SSEKMSKeyId, reported, sse)
		if err != nil {
			return err
		}
		return c.kmsVia("kms:GenerateDataKey", key, dst)
	case *s3.CreateMultipartUploadInput:
		dst := object{bucket: aws.ToString(in.Bucket), key: aws.ToString(in.Key)}
		c.what = "S3 CreateMultipartUpload s3://" + dst.bucket + "/" + dst.key
		if err := c.s3On("s3:PutObject", dst, nil); err != nil {
			return err
		}
		if aws.ToString(in.Tagging) != "" {
			if err := c.s3On("s3:PutObjectTagging", dst, nil); err != nil {
				return err
			}
		}
		var reported *string
		var sse s3types.ServerSideEncryption
		if out, ok := c.Output.(*s3.CreateMultipartUploadOutput); ok {
			reported, sse = out.SSEKMSKeyId, out.ServerSideEncryption
		}
		key, err := c.targetKey(dst.bucket, in.SSEKMSKeyId, reported, sse)
		if err != nil {
			return err
		}
		return c.kmsVia("kms:GenerateDataKey", key, dst)
	case *s3.UploadPartCopyInput:
		src, err := copySource(aws.ToString(in.CopySource))
		if err != nil {
			return err
		}
		dst := object{bucket: aws.ToString(in.Bucket), key: aws.ToString(in.Key)}
		c.what = fmt.Sprintf("S3 UploadPartCopy s3://%s/%s to s3://%s/%s part %d", src.bucket, src.key, dst.bucket, dst.key, aws.ToInt32(in.PartNumber))
		if _, err := c.readSource(src, false); err != nil {
			return err
		}
		if err := c.s3On("s3:PutObject", dst, nil); err != nil {
			return err
		}
		var reported *string
		var sse s3types.ServerSideEncryption
		if out, ok := c.Output.(*s3.UploadPartCopyOutput); ok {
			reported, sse = out.SSEKMSKeyId, out.ServerSideEncryption
		}
		key, err := c.targetKey(dst.bucket, nil, reported, sse)
		if err != nil {
			return err
		}
		return c.kmsVia("kms:GenerateDataKey", key, dst)
	case *s3.CompleteMultipartUploadInput:
		dst := object{bucket: aws.ToString(in.Bucket), key: aws.ToString(in.Key)}
		c.what = "S3 CompleteMultipartUpload s3://" + dst.bucket + "/" + dst.key
		if err := c.s3On("s3:PutObject", dst, nil); err != nil {
			return err
		}
		// S3 decrypts the parts of an SSE-KMS upload to complete it.
		var reported *string
		var sse s3types.ServerSideEncryption
		if out, ok := c.Output.(*s3.CompleteMultipartUploadOutput); ok {
			reported, sse = out.SSEKMSKeyId, out.ServerSideEncryption
		}
		key, err := c.targetKey(dst.bucket, nil, reported, sse)
		if err != nil {
			return err
		}
		return c.kmsVia("kms:Decrypt", key, dst)
	case *s3.GetBucketEncryptionInput:
		o := object{bucket: aws.ToString(in.Bucket)}
		c.what = "S3 GetBucketEncryption s3://" + o.bucket
		return c.s3On("s3:GetEncryptionConfiguration", o, nil)
	}
	return fmt.Errorf("no IAM mapping for input %T", c.Input)
}
