//! Systems Manager reads: parameters, such as the public ones under `/aws/service/` through which
//! AWS names its recommended images.

use crate::aws::errors::AwsError;
use crate::aws::Aws;

impl Aws {
    /// The value of parameter `name`, or None when the region has no such parameter (an AWS public
    /// parameter is not published in every region).
    pub async fn find_parameter(&self, name: &str) -> Result<Option<String>, AwsError> {
        match self.ssm.get_parameter().name(name).send().await {
            Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
            Err(e) => {
                let e = AwsError::from_sdk(&e);
                if e.has_code("ParameterNotFound") {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}
