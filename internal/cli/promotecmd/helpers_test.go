package promotecmd_test

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

func newGroup(name string) *sagemaker.CreateModelPackageGroupInput {
	return &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(name)}
}

func prefixPackage(uri string) *sagemaker.CreateModelPackageInput {
	return &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
		Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("img"), ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{
			S3Uri: aws.String(uri), S3DataType: types.S3ModelDataTypeS3Prefix, CompressionType: types.ModelCompressionTypeNone}}}},
		SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}}
}
